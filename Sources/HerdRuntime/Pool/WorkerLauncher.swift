import Foundation

/// A worker process as the pool supervises it.
public protocol WorkerProcess: AnyObject {
    var pid: pid_t { get }
    /// Whether it still runs (reaps it when it exited).
    var isRunning: Bool { get }
    /// The raw wait status once it exited.
    var status: Int32? { get }
    func send(_ signal: Int32)
    /// Kills it (SIGKILL) and reaps it.
    func terminate()
    @discardableResult
    func waitForExit(timeout: Double) -> Bool
}

extension ChildProcess: WorkerProcess {}

/// What the pool asks for when it starts a worker.
public struct WorkerLaunch: Sendable {
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    /// The routing id the worker connects with.
    public var identity: [UInt8]
}

/// Starts worker processes: ``ProcessLauncher`` spawns them; tests start
/// in-process fakes on a loopback transport.
public protocol WorkerLauncher: AnyObject {
    func launch(_ launch: WorkerLaunch) throws -> WorkerProcess
}

/// Spawns a real process (`posix_spawn`).
public final class ProcessLauncher: WorkerLauncher {
    public init() {}
    public func launch(_ launch: WorkerLaunch) throws -> WorkerProcess {
        try ChildProcess(executable: launch.executable, arguments: launch.arguments, environment: launch.environment)
    }
}
