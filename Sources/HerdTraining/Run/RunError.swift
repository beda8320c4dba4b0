import Foundation

/// Failures of the run directory: files that cannot be written or read.
public enum RunError: Error, Equatable, CustomStringConvertible {
    /// Reading or writing `path` failed.
    case io(path: String, reason: String)
    /// `path` exists but its contents are damaged.
    case corrupt(path: String, reason: String)
    /// No usable checkpoint where one was expected.
    case noCheckpoint(directory: String, reason: String)
    /// A checkpoint that does not fit the run (another config or network).
    case incompatible(path: String, reason: String)
    /// Too many gradient steps in a row had a non-finite loss or gradient.
    case nonFinite(consecutive: Int, firstLearnerStep: Int, environmentStep: Int, checkpoint: String)
    /// The pool could not go on; the run was checkpointed first.
    case poolFailed(String, checkpoint: URL?)

    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): \(reason)"
        case let .corrupt(path, reason): return "\(path) is corrupt: \(reason)"
        case let .noCheckpoint(directory, reason): return "no usable checkpoint in \(directory): \(reason)"
        case let .incompatible(path, reason): return "\(path) does not fit this run: \(reason)"
        case let .nonFinite(consecutive, first, step, checkpoint):
            return "training stopped: \(consecutive) gradient steps in a row had a non-finite loss or gradient (skipped; the first "
                + "after learner step \(first), environment step \(step)). The parameters from before the first are in \(checkpoint); "
                + "lower the learning rate, clip rewards or check the environment's observations, then --resume"
        case let .poolFailed(reason, checkpoint):
            return "training stopped: \(reason)" + (checkpoint.map { ". The run so far is in \($0.path); fix the cause, then --resume" } ?? "")
        }
    }
}
