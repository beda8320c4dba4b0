import Foundation

/// A stop request (SIGINT, SIGTERM) noticed by a data source: it ends the
/// agent's iteration, and the training loop ends the run with a checkpoint.
struct StopRequested: Error {}

/// What the training loop reads of every data source: the environment
/// steps it has taken, the time spent waiting on it, and its own figures.
public protocol DataSource: AnyObject {
    /// Environment steps taken in this session, summed over environments.
    var environmentSteps: Int { get }
    /// Seconds the learner's thread spent in the source (stepping, or
    /// waiting for unrolls).
    var collectSeconds: Double { get }
    /// The interval's figures of the source itself (declared in its `metrics`).
    func takeIntervalMetrics() -> MetricValues
    /// Its figures for `summary.json`.
    func summaryMetrics() -> MetricValues
    /// Stops what the source runs (the inference thread); idempotent.
    func close() throws
}

extension DataSource {
    func throwIfStopRequested() throws {
        if StopSignal.requested { throw StopRequested() }
    }
}
