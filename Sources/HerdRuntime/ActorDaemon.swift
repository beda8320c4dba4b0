import Foundation
import HerdTransport

/// `herd actor`: lends this machine's environment capacity to a learner.
/// It spawns `workers` environment-worker processes that connect to the
/// learner's `--listen` endpoint and offer `capacity / workers` environments
/// each; the learner decides what they run (protocol v2, envs/PROTOCOL.md,
/// "Remote workers"). It supervises them: a worker that exits (the learner
/// said goodbye, refused it, restarted, or was silent past the workers'
/// timeout) is started again after a backoff that doubles while restarts
/// come quickly, so a daemon started before its learner, or outliving one,
/// joins as soon as a learner listens. Workers exit with the daemon.
public final class ActorDaemon {
    public struct Options: Sendable {
        public var learner: String
        public var workers: Int
        /// Environments offered in all (split evenly over the workers).
        public var capacity: Int
        public var herdExecutable: String
        /// Seconds of learner silence after which a worker exits (and is restarted).
        public var workerLearnerTimeout = 10.0
        /// First and largest delay before restarting a worker.
        public var initialBackoff = 0.5
        public var maximumBackoff = 30.0
        /// Delay before starting a worker again after the learner refused it
        /// a place, for the first ``ActorDaemon/quickRetries`` refusals in a row.
        public var refusedRetry = 0.2
        /// A worker that ran at least this long restarts after the initial backoff again.
        public var healthyRun = 30.0
        /// CURVE: this daemon's secret key file and the learner's public key
        /// file, passed to every worker (both or neither).
        public var curveKeyFile: String?
        public var serverKeyFile: String?

        public init(learner: String, workers: Int, capacity: Int, herdExecutable: String) {
            self.learner = learner
            self.workers = workers
            self.capacity = capacity
            self.herdExecutable = herdExecutable
        }
    }

    public enum DaemonError: Error, CustomStringConvertible {
        case unusableEndpoint(String, String)
        case badOptions(String)

        public var description: String {
            switch self {
            case let .unusableEndpoint(endpoint, reason): return "--learner \(endpoint): \(reason)"
            case let .badOptions(reason): return reason
            }
        }
    }

    public let options: Options
    /// Refusals in a row retried after ``Options/refusedRetry`` before the backoff grows.
    public static let quickRetries = 3
    public var log: (String) -> Void = { FileHandle.standardError.write(Data("herd actor: \($0)\n".utf8)) }
    /// Workers started so far, restarts included.
    public private(set) var started = 0

    public init(options: Options) throws {
        guard options.workers > 0 else { throw DaemonError.badOptions("--workers must be positive") }
        guard options.capacity >= options.workers else {
            throw DaemonError.badOptions("--capacity \(options.capacity) is less than one environment per worker (--workers \(options.workers))")
        }
        try Self.checkEndpoint(options.learner)
        if let key = options.curveKeyFile, let server = options.serverKeyFile {
            // Fail here, once, rather than in every worker start.
            do {
                _ = try CurveKeyPair.readSecret(URL(fileURLWithPath: key))
                _ = try CurveKeyPair.readKey(URL(fileURLWithPath: server))
            } catch {
                throw DaemonError.badOptions("\(error)")
            }
        } else if options.curveKeyFile != nil || options.serverKeyFile != nil {
            throw DaemonError.badOptions("--curve-key and --server-key go together")
        }
        self.options = options
    }

    /// Fails fast on an endpoint no worker could use: not `tcp://HOST:PORT`,
    /// a port out of range, a host that does not resolve, or one ZeroMQ rejects.
    public static func checkEndpoint(_ endpoint: String) throws {
        guard endpoint.hasPrefix("tcp://") else { throw DaemonError.unusableEndpoint(endpoint, "expected tcp://HOST:PORT") }
        let rest = endpoint.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else {
            throw DaemonError.unusableEndpoint(endpoint, "expected tcp://HOST:PORT with a port in 1...65535")
        }
        let host = String(rest[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard !host.isEmpty, host != "*" else { throw DaemonError.unusableEndpoint(endpoint, "a learner's host is needed, not '\(host)'") }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        if let result { freeaddrinfo(result) }
        guard status == 0 else {
            throw DaemonError.unusableEndpoint(endpoint, "host '\(host)' does not resolve (\(String(cString: gai_strerror(status))))")
        }
        do {
            let context = ZMQContext()
            let probe = try ZMQSocket(context, .dealer)
            try probe.setLinger(milliseconds: 0)
            try probe.connect(endpoint)
        } catch {
            throw DaemonError.unusableEndpoint(endpoint, "\(error)")
        }
    }

    private var curveArguments: [String] {
        guard let key = options.curveKeyFile, let server = options.serverKeyFile else { return [] }
        return ["--curve-key", key, "--server-key", server]
    }

    /// Runs until `stop()` returns true (checked every 0.1 s), then stops the workers.
    public func run(until stop: () -> Bool) throws {
        let o = options
        let perWorker = o.capacity / o.workers
        var processes: [ChildProcess?] = Array(repeating: nil, count: o.workers)
        var startedAt = [Date](repeating: .distantPast, count: o.workers)
        var backoff = [Double](repeating: o.initialBackoff, count: o.workers)
        var restartAt = [Date](repeating: Date(), count: o.workers)
        // Refusals in a row: the first few are retried after `refusedRetry`
        // (a place is often free a moment later: the learner frees those of
        // dead workers when asked), then the backoff grows as for any exit.
        var refusals = [Int](repeating: 0, count: o.workers)
        log("lending \(o.workers) workers × \(perWorker) environments to \(o.learner)")
        defer {
            for case let process? in processes { process.terminate() }
            log("stopped; \(started) worker starts in all")
        }
        while !stop() {
            let now = Date()
            for i in 0..<o.workers {
                if let process = processes[i] {
                    guard !process.isRunning else { continue }
                    let ran = now.timeIntervalSince(startedAt[i])
                    let refused = process.exitCode == EnvironmentWorker.refusedExitStatus
                    refusals[i] = refused ? refusals[i] + 1 : 0
                    if refused, refusals[i] <= Self.quickRetries {
                        restartAt[i] = now.addingTimeInterval(o.refusedRetry)
                        log("worker \(i) (pid \(process.pid)) was refused (a place, or its key at the handshake: its own line says which); "
                            + "trying again in \(String(format: "%.1f", o.refusedRetry)) s")
                        processes[i] = nil
                        continue
                    }
                    backoff[i] = ran >= o.healthyRun ? o.initialBackoff : min(o.maximumBackoff, backoff[i] * 2)
                    restartAt[i] = now.addingTimeInterval(backoff[i])
                    log("worker \(i) (pid \(process.pid)) exited with status \(process.exitCode.map(String.init) ?? "?") after "
                        + "\(String(format: "%.1f", ran)) s; restarting in \(String(format: "%.1f", backoff[i])) s")
                    processes[i] = nil
                } else if now >= restartAt[i] {
                    do {
                        processes[i] = try ChildProcess(
                            executable: o.herdExecutable,
                            arguments: ["env-worker", "--connect", o.learner, "--capacity", "\(perWorker)",
                                        "--learner-timeout", "\(o.workerLearnerTimeout)", "--exit-with-parent"] + curveArguments,
                            environment: ProcessPool.workerEnvironment)
                        started += 1
                        startedAt[i] = now
                        log("worker \(i) started (pid \(processes[i]!.pid)), connecting to \(o.learner)")
                    } catch {
                        backoff[i] = min(o.maximumBackoff, backoff[i] * 2)
                        restartAt[i] = now.addingTimeInterval(backoff[i])
                        log("worker \(i) could not start (\(error)); retrying in \(String(format: "%.1f", backoff[i])) s")
                    }
                }
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        log("signal received; stopping \(processes.compactMap { $0 }.count) workers")
    }
}
