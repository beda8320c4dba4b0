import Foundation

/// A process run in the background whose output (stdout and stderr) goes
/// to a file the test can read while it runs; killed when released.
public final class BackgroundProcess {
    public let process = Process()
    public let log: URL

    public init(_ executable: String, _ arguments: [String], log: URL, environment: [String: String] = [:]) throws {
        self.log = log
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = repositoryRoot
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var pid: pid_t { process.processIdentifier }
    public var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    public func waitForExit(_ seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// The process's children (from /proc), e.g. a learner's worker processes.
    public var children: [pid_t] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { name -> pid_t? in
            guard let child = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // Fields after "(comm)": state, ppid, ...
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == pid ? child : nil
        }.sorted()
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
}

/// Polls `condition` every 50 ms for up to `seconds`.
public func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

/// A throwing call run on its own thread, for a test that must act while
/// the call blocks, or must not block forever when it hangs.
public final class BackgroundCall<T>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<T, Error>?

    public init(_ body: @escaping () throws -> T) {
        Thread { [self] in
            result = Result { try body() }
            done.signal()
        }.start()
    }

    /// The call's result, or nil if it has not returned within `seconds`.
    public func wait(timeout seconds: Double) -> Result<T, Error>? {
        done.wait(timeout: .now() + seconds) == .success ? result : nil
    }
}
