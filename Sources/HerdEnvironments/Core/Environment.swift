@_exported import HerdCore

/// The outcome of one step, apart from the observation (written into the
/// caller's buffer).
public struct StepOutcome: Equatable, Sendable {
    /// Reward for the transition, in Double as Gymnasium computes it.
    public var reward: Double
    /// The MDP reached a terminal state (no bootstrapping past it).
    public var terminated: Bool
    /// The episode was cut short from outside the MDP (a time limit).
    public var truncated: Bool

    public init(reward: Double, terminated: Bool, truncated: Bool) {
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
    }

    /// Either flag: the episode is over and the next call must be a reset.
    public var isLast: Bool { terminated || truncated }
}

/// One environment (not a batch), with Gymnasium's semantics.
///
/// `reset` starts an episode; `step` advances it. Observations are written
/// into caller-owned buffers of `observationSpace.flatCount` floats, so a
/// worker can step straight into a message buffer without allocating.
/// Termination is the MDP ending; truncation is a time limit (Gymnasium's
/// distinction). After either, `step` throws ``EnvironmentError/needsReset``
/// until `reset` is called.
public protocol Environment: AnyObject {
    /// Registered name, e.g. `CartPole-v1`.
    var name: String { get }
    var observationSpace: Space { get }
    var actionSpace: Space { get }

    /// Starts an episode. A `seed` reseeds the environment's generator (as
    /// Gymnasium's `reset(seed=)`); `nil` continues its stream.
    func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>)

    /// Applies `action` (`actionSpace.flatCount` floats). Throws
    /// ``EnvironmentError/invalidAction(environment:action:space:)`` for an
    /// action outside the space (continuous actions out of bounds are clipped
    /// only where Gymnasium clips them) and ``EnvironmentError/needsReset``
    /// after the episode ended.
    func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome
}

/// What an observation's elements are, beyond their `Float` buffers: whole
/// numbers 0…255 (images, as Gymnasium's `uint8` boxes) travel between
/// processes as bytes.
public enum ObservationElements: Sendable, Equatable {
    case float32
    case uint8
}

/// Environments whose observations are bytes say so.
public protocol ByteObservations: Environment {}

extension Environment {
    /// `.uint8` for environments that conform to ``ByteObservations`` (and
    /// wrappers of them that keep the values), else `.float32`.
    public var observationElements: ObservationElements {
        var env: Environment = self
        while true {
            if env is ByteObservations { return .uint8 }
            guard let wrapper = env as? EnvironmentWrapper, wrapper.keepsObservationValues else { return .float32 }
            env = wrapper.inner
        }
    }
}

/// One step with its observation, for code that prefers arrays to buffers.
public struct Step: Equatable, Sendable {
    public var observation: [Float]
    public var reward: Double
    public var terminated: Bool
    public var truncated: Bool
}

extension Environment {
    /// `reset` returning a new array.
    @discardableResult
    public func reset(seed: UInt64? = nil) -> [Float] {
        var observation = [Float](repeating: 0, count: observationSpace.flatCount)
        observation.withUnsafeMutableBufferPointer { reset(seed: seed, into: $0) }
        return observation
    }

    /// `step` with arrays.
    public func step(_ action: [Float]) throws -> Step {
        var observation = [Float](repeating: 0, count: observationSpace.flatCount)
        let outcome = try action.withUnsafeBufferPointer { a in
            try observation.withUnsafeMutableBufferPointer { try step(a, into: $0) }
        }
        return Step(observation: observation, reward: outcome.reward, terminated: outcome.terminated, truncated: outcome.truncated)
    }

    /// `step` with a discrete action index.
    public func step(_ action: Int) throws -> Step { try step([Float(action)]) }

    /// The environment under any wrappers.
    public var unwrapped: Environment {
        var env: Environment = self
        while let wrapper = env as? EnvironmentWrapper { env = wrapper.inner }
        return env
    }
}

/// Environments whose physical state can be read and set (for `herd envs
/// trace --state` and the reference tests), in the order of Gymnasium's
/// `env.unwrapped.state`.
public protocol PhysicalStateAccess: Environment {
    /// Names of the state components, in order.
    var stateNames: [String] { get }
    var physicalState: [Double] { get }
    /// Sets the state and starts an episode from it; throws if the count is wrong.
    func setPhysicalState(_ state: [Double]) throws
}

/// How environment `index` of a run is seeded: its reset seed is derived from
/// `(runSeed, index)` through the generator's stream split, so streams never
/// depend on how many environments the run has and differ between indices.
public func environmentSeed(runSeed: UInt64, index: Int) -> UInt64 {
    var rng = RandomGenerator(seed: runSeed, stream: UInt64(index) &+ 1)
    return rng.next()
}

/// A generator for an environment that was reset without ever being seeded:
/// fresh entropy, as Gymnasium does.
func entropySeededGenerator() -> RandomGenerator {
    RandomGenerator(seed: UInt64.random(in: 0...UInt64.max))
}
