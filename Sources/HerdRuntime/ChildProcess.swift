import Foundation

/// A child process started with `posix_spawn`, owned by one object: the pool
/// reaps it itself (`waitpid`), so liveness checks and kills are exact.
/// Standard input is /dev/null; output and errors go to the parent's.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    public let executable: String
    private var exitStatus: Int32?

    public init(executable: String, arguments: [String], environment: [String: String] = [:]) throws {
        let environmentStrings = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0)=\($1)" }
        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environmentStrings.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, &argv, &envp)
        guard status == 0 else {
            throw RuntimeError.spawnFailed(executable: executable, message: String(cString: strerror(status)))
        }
        self.pid = pid
        self.executable = executable
    }

    /// Whether the process is still running (reaps it if it exited).
    public var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid || (result < 0 && errno == ECHILD) {
            exitStatus = status
            return false
        }
        return true
    }

    /// Sends `signal` (no effect once the process is gone).
    public func send(_ signal: Int32) {
        if exitStatus == nil { kill(pid, signal) }
    }

    /// Waits up to `timeout` seconds for the process to exit; returns whether it did.
    @discardableResult
    public func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() >= deadline { return false }
            usleep(2000)
        }
        return true
    }

    /// Kills the process (SIGKILL) and reaps it.
    public func terminate() {
        guard isRunning else { return }
        send(SIGKILL)
        waitForExit(timeout: 5)
    }

    /// The raw wait status once the process exited.
    public var status: Int32? { exitStatus }

    /// The exit code when it exited normally, else nil.
    public var exitCode: Int32? {
        guard let s = exitStatus, s & 0x7f == 0 else { return nil }
        return (s >> 8) & 0xff
    }

    deinit { terminate() }
}
