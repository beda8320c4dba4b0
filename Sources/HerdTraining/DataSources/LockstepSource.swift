import Foundation
import HerdRuntime
import HerdTensor

/// Every environment stepped in lockstep from the learner's thread
/// (BatchPPO's mode): ``step(_:)`` sends one action per environment and
/// returns all of their results. It records each transition in the run's
/// ``EpisodeBook`` and checks for a stop request before every step.
public final class LockstepSource: DataSource {
    public let pool: ProcessPool
    private let context: TrainingContext
    public private(set) var environmentSteps = 0
    public private(set) var collectSeconds = 0.0
    /// The newest batch: after ``reset()``, the first observations.
    public private(set) var current = Batch()

    init(pool: ProcessPool, context: TrainingContext) {
        self.pool = pool
        self.context = context
    }

    /// Environments stepped per call: `B`.
    public var batchSize: Int { pool.environmentCount }

    /// Resets every environment; their first observations are ``current``.
    @discardableResult
    public func reset() throws -> Batch {
        try throwIfStopRequested()
        let start = Date().timeIntervalSince1970
        current = try pool.reset()
        collectSeconds += Date().timeIntervalSince1970 - start
        return current
    }

    /// The observations to act on now (``current``), after checking for a
    /// stop request: an agent asks here before it acts, so a stop leaves
    /// its state (normalisers, random generators) as the last step left it.
    public func observations() throws -> ObservationRows {
        try throwIfStopRequested()
        return current.observations
    }

    /// One step of every environment with `actions` (`[B, actionSize]`, in
    /// the environments' format). Episodes of environments whose worker was
    /// replaced are dropped from the book, not counted.
    public func step(_ actions: [Float]) throws -> Batch {
        try throwIfStopRequested()
        let start = Date().timeIntervalSince1970
        current = try pool.step(actions)
        collectSeconds += Date().timeIntervalSince1970 - start
        environmentSteps += current.count
        for (row, id) in current.environmentIDs.enumerated() {
            if current.restartedEnvironments.contains(id) {
                context.episodes.restart(index: id)
            } else {
                context.episodes.record(index: id, reward: current.rewards[row], done: current.terminated[row] || current.truncated[row])
            }
        }
        return current
    }

    public func takeIntervalMetrics() -> MetricValues { MetricValues() }
    public func summaryMetrics() -> MetricValues { MetricValues() }
    public func close() throws {}
}
