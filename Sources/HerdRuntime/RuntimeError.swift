import Foundation

/// Errors from the process pool and the worker. Each names the worker,
/// endpoint or executable involved.
public enum RuntimeError: Error, Equatable, CustomStringConvertible {
    case spawnFailed(executable: String, message: String)
    /// A worker did not say hello or ready in time.
    case workerStartTimeout(worker: String, seconds: Double)
    /// A worker could not build its environments, or failed a step.
    case workerFailed(worker: String, message: String)
    /// Workers disagree about their spaces.
    case inconsistentWorkers(String)
    /// The pool was asked for something its state does not allow.
    case invalidRequest(String)
    /// The pool is closed.
    case closed

    public var description: String {
        switch self {
        case let .spawnFailed(executable, message): return "could not start \(executable): \(message)"
        case let .workerStartTimeout(worker, seconds): return "worker \(worker) did not start within \(seconds) s"
        case let .workerFailed(worker, message): return "worker \(worker): \(message)"
        case let .inconsistentWorkers(message): return "workers disagree: \(message)"
        case let .invalidRequest(message): return message
        case .closed: return "the process pool is closed"
        }
    }
}

extension RuntimeError {
    /// The pool could not go on (its workers failed); not a caller's mistake.
    public var isPoolFailure: Bool {
        switch self {
        case .spawnFailed, .workerStartTimeout, .workerFailed, .inconsistentWorkers: return true
        case .invalidRequest, .closed: return false
        }
    }
}
