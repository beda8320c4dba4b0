import HerdCore

/// An environment that wraps another and changes part of its behaviour.
public protocol EnvironmentWrapper: Environment {
    /// The wrapped environment.
    var inner: Environment { get }
    /// Whether observations are the inner environment's values (rearranged
    /// or repeated at most), so byte observations stay bytes.
    var keepsObservationValues: Bool { get }
}

extension EnvironmentWrapper {
    public var keepsObservationValues: Bool { false }
}

/// Forwards everything to `inner`; subclasses override what they change.
/// Each wrapper tracks whether its episode is over itself, since the wrapped
/// environment does not know about truncations added above it.
open class Wrapper: EnvironmentWrapper {
    public let inner: Environment
    var episodeOver = true

    public init(_ inner: Environment) { self.inner = inner }

    open var name: String { inner.name }
    open var observationSpace: Space { inner.observationSpace }
    open var actionSpace: Space { inner.actionSpace }
    open var keepsObservationValues: Bool { false }

    open func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        inner.reset(seed: seed, into: observation)
        episodeOver = false
    }

    open func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        if episodeOver { throw EnvironmentError.needsReset(environment: name) }
        let outcome = try inner.step(action, into: observation)
        if outcome.isLast { episodeOver = true }
        return outcome
    }
}

/// Gymnasium's `TimeLimit`: the step that brings the episode's length to
/// `maxEpisodeSteps` is truncated (it may also be terminated: both flags are
/// reported).
public final class TimeLimit: Wrapper {
    public override var keepsObservationValues: Bool { true }
    public let maxEpisodeSteps: Int
    /// Steps taken in the current episode.
    public private(set) var elapsedSteps = 0

    public init(_ inner: Environment, maxEpisodeSteps: Int) {
        require(maxEpisodeSteps > 0, "TimeLimit needs a positive step count, got \(maxEpisodeSteps)")
        self.maxEpisodeSteps = maxEpisodeSteps
        super.init(inner)
    }

    public override func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        elapsedSteps = 0
        super.reset(seed: seed, into: observation)
    }

    public override func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        var outcome = try super.step(action, into: observation)
        elapsedSteps += 1
        if elapsedSteps >= maxEpisodeSteps {
            outcome.truncated = true
            episodeOver = true
        }
        return outcome
    }
}

/// Return and length of each finished episode (Gymnasium's
/// `RecordEpisodeStatistics`), kept until drained.
public final class EpisodeStatistics: Wrapper {
    /// One finished episode.
    public struct Episode: Equatable, Sendable {
        public var totalReturn: Double
        public var length: Int

        public init(totalReturn: Double, length: Int) {
            self.totalReturn = totalReturn
            self.length = length
        }
    }

    private var episodeReturn = 0.0
    private var episodeLength = 0
    /// Episodes finished since the last ``drain()``.
    public private(set) var completed: [Episode] = []

    public override func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        episodeReturn = 0
        episodeLength = 0
        super.reset(seed: seed, into: observation)
    }

    public override func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        let outcome = try super.step(action, into: observation)
        episodeReturn += outcome.reward
        episodeLength += 1
        if outcome.isLast { completed.append(Episode(totalReturn: episodeReturn, length: episodeLength)) }
        return outcome
    }

    /// The finished episodes, emptying the list.
    public func drain() -> [Episode] {
        defer { completed.removeAll(keepingCapacity: true) }
        return completed
    }
}
