import Foundation
import HerdAgents

/// The training loop's side of ``NonFiniteGuard``: after each learner step it
/// logs new skips with the learner step, writes a checkpoint at the first
/// skip of a row (the learner's parameters are then still those from before
/// the bad step, since skipped steps change nothing), and stops the run
/// once the row reaches `config.max_consecutive_nonfinite`.
struct NonFiniteWatch {
    let limit: Int
    private var seen = 0
    private var rowStart: (learnerStep: Int, environmentStep: Int, checkpoint: URL)?

    init(limit: Int) { self.limit = limit }

    /// Skipped steps so far, for metrics.
    var skipped: Int { seen }

    mutating func check(_ guardState: NonFiniteGuard, learnerStep: Int, environmentStep: Int,
                        save: () throws -> URL, log: (String) -> Void) throws {
        guard guardState.skipped != seen else { return }
        let new = guardState.skipped - seen
        seen = guardState.skipped
        guard guardState.consecutive > 0 else {
            rowStart = nil
            return log("herd train: skipped \(new) gradient step(s) with a non-finite loss or gradient at learner step \(learnerStep) "
                       + "(environment step \(environmentStep)); the next step was finite")
        }
        if rowStart == nil {
            rowStart = (learnerStep, environmentStep, try save())
        }
        log("herd train: skipped \(new) gradient step(s) with a non-finite loss or gradient at learner step \(learnerStep) "
            + "(environment step \(environmentStep)); \(guardState.consecutive) in a row, limit \(limit)")
        if guardState.consecutive >= limit, let start = rowStart {
            throw RunError.nonFinite(consecutive: guardState.consecutive, firstLearnerStep: start.learnerStep,
                                     environmentStep: start.environmentStep, checkpoint: start.checkpoint.path)
        }
    }
}
