import HerdCore

/// What every built-in environment shares: its name and spaces, its random
/// generator, the "episode over" flag, and action validation.
public class EnvironmentBase {
    public let name: String
    public let observationSpace: Space
    public let actionSpace: Space
    /// The environment's own generator, made on the first reset.
    var rng: RandomGenerator
    private var seeded = false
    /// True before the first reset and after an episode ended.
    var needsReset = true

    init(name: String, observationSpace: Space, actionSpace: Space) {
        self.name = name
        self.observationSpace = observationSpace
        self.actionSpace = actionSpace
        self.rng = RandomGenerator(seed: 0)
    }

    /// Reseeds (or seeds from entropy on a first unseeded reset) and marks
    /// the episode as running.
    func beginReset(seed: UInt64?) {
        if let seed {
            rng = RandomGenerator(seed: seed)
            seeded = true
        } else if !seeded {
            rng = entropySeededGenerator()
            seeded = true
        }
        needsReset = false
    }

    /// Throws unless an episode is running.
    @inline(__always)
    func beginStep() throws {
        if needsReset { throw EnvironmentError.needsReset(environment: name) }
    }

    /// Ends the episode when `outcome` is its last step.
    @inline(__always)
    func finish(_ outcome: StepOutcome) -> StepOutcome {
        if outcome.isLast { needsReset = true }
        return outcome
    }

    /// The index of a discrete action, or an error naming the action and space.
    @inline(__always)
    func discreteAction(_ action: UnsafeBufferPointer<Float>, count n: Int) throws -> Int {
        if actionSpace.accepts(action) { return Int(action[0]) }
        throw EnvironmentError.invalidAction(environment: name, action: Array(action), space: actionSpace.description)
    }

    /// The components of a continuous action: the right count and finite.
    /// Bounds are not checked here; environments clip where Gymnasium does.
    @inline(__always)
    func continuousAction(_ action: UnsafeBufferPointer<Float>) throws -> UnsafeBufferPointer<Float> {
        if actionSpace.accepts(action) { return action }
        throw EnvironmentError.invalidAction(environment: name, action: Array(action), space: actionSpace.description)
    }

    /// `setPhysicalState`'s common part: checks the state (one finite number
    /// per name), lets `apply` store it, and starts an episode from it.
    func startEpisode(from state: [Double], names: [String], _ apply: ([Double]) -> Void) throws {
        guard state.count == names.count, state.allSatisfy({ $0.isFinite }) else {
            throw EnvironmentError.invalidState(
                environment: name,
                message: "a state needs \(names.count) finite numbers [\(names.joined(separator: ", "))], got \(state)")
        }
        apply(state)
        needsReset = false
    }
}
