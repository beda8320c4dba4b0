import Foundation
import HerdEnvironments
import HerdTransport

/// How a ``ProcessPool`` is laid out and supervised.
public struct PoolConfiguration: Sendable {
    /// Environment name: a built-in (`CartPole-v1`) or `gymnasium:ID` for a
    /// Python Gymnasium environment served by `envs/gymnasium_worker.py`.
    public var environment: String
    /// Environment settings (for Gymnasium: keyword arguments of `gym.make`).
    public var settings: [String: SettingValue] = [:]
    /// How workers should send float observations (`bf16` halves their
    /// bytes; byte observations are u8 either way).
    public var observationEncoding = ObservationEncoding.native
    /// Gymnasium wrappers the Python worker applies after `gym.make`, in
    /// order: a class of `gymnasium.wrappers` and its keyword settings.
    public var wrappers: [(name: String, settings: [String: SettingValue])] = []

    /// Ask workers for a picture of each one's first environment with every
    /// `results` (the `frame` message; `herd_render` in `assign.settings`),
    /// for ``ProcessPool/latestFrame(environment:)``.
    public var renderFrames = false

    /// The settings as sent in `assign`: the environment's, plus the
    /// wrappers under `herd_wrappers` (a JSON list of `[name, {settings}]`)
    /// and `herd_render` when frames are wanted.
    public var assignedSettingsJSON: String {
        var all = settings
        if renderFrames { all["herd_render"] = .string("rgb_array") }
        if !wrappers.isEmpty {
            all["herd_wrappers"] = .string("[" + wrappers.map { "[\(jsonQuoted($0.name)),\(SettingsJSON.encode($0.settings))]" }
                .joined(separator: ",") + "]")
        }
        return SettingsJSON.encode(all)
    }
    /// Worker processes.
    public var workers: Int
    /// Environments per worker.
    public var environmentsPerWorker: Int
    /// Run seed: environment `i` is reset first with `environmentSeed(runSeed: seed, index: i)`.
    public var seed: UInt64 = 0
    /// The `herd` executable whose `env-worker` subcommand serves built-ins.
    public var herdExecutable: String
    /// Python for Gymnasium workers.
    public var pythonExecutable = "python3"
    /// Path of `envs/gymnasium_worker.py`.
    public var gymnasiumWorkerScript: String?
    /// Seconds to wait for a worker's hello and ready.
    public var startTimeout = 30.0
    /// A worker that has not answered a step within this many seconds is
    /// considered hung: killed and replaced (resets get `startTimeout`).
    /// 1.5 s for built-in environments; 10 s for `gymnasium:` ones, whose
    /// steps include Python resets (an Atari game's takes ~0.1 s, and a worker
    /// may reset many in one step).
    public var stepTimeout = 1.5
    /// Seconds between heartbeats to idle workers and supervision passes.
    public var heartbeatInterval = 0.25
    /// Seconds of learner silence after which a worker exits.
    public var workerLearnerTimeout = 10.0
    /// The ROUTER endpoint; default a fresh `ipc://` path under /tmp.
    public var endpoint: String?
    public var limits = WireLimits.standard
    /// Microseconds the learner polls without sleeping before it blocks for a
    /// reply (0: block at once).
    public var spinMicroseconds = Double(ProcessInfo.processInfo.environment["HERD_POOL_SPIN_US"].flatMap(Double.init) ?? 0)
    /// Microseconds a worker polls for the next request without sleeping
    /// after replying (0: block at once).
    public var workerSpinMicroseconds = Double(ProcessInfo.processInfo.environment["HERD_WORKER_SPIN_US"].flatMap(Double.init) ?? 0)
    /// CPUs for each worker (worker `i` gets `workerCPUs[i % count]`); `nil`: no pinning.
    public var workerCPUs: [[Int]]? = ProcessInfo.processInfo.environment["HERD_WORKER_CPUS"].map { spec in
        spec.split(separator: ";").map { $0.split(separator: ",").compactMap { Int($0) } }
    }
    /// Write one line per supervision event to standard error.
    public var logEvents = true
    /// A further endpoint (`tcp://ADDRESS:PORT`) where workers from other
    /// machines (`herd actor`) connect; `nil`: local workers only.
    public var listen: String?
    /// Places for remote workers, each of `environmentsPerWorker`
    /// environments (ids after the local workers'). Only asynchronous
    /// stepping uses them.
    public var remoteWorkers = 0
    /// Seconds without a message after which a remote worker counts as gone.
    public var remoteTimeout = 5.0
    /// Seconds of silence after which a remote worker's place goes to a
    /// newcomer from the same source (CURVE key or address) when every
    /// place is taken: the same daemon, back. Idle workers send a heartbeat
    /// every second, so a live one is never this silent.
    public var reclaimSilence = 2.0
    /// Seconds a source may take no remote place after its first place left
    /// before serving (``Admission``); doubled with each further one, up
    /// to a minute.
    public var admissionBackoff = 0.5
    /// CURVE authentication and encryption for every connection (local
    /// workers get a key pair of the pool's own); `nil`: none.
    public var curve: CurveServerSettings?
    /// Messages a remote worker may send out of turn (repeated hellos,
    /// results nobody asked for, malformed frames) before it is told
    /// `error` 6 and goodbye and its further messages are dropped. Also the
    /// receive high-water mark per peer.
    public var maxPendingMessages = 100
    /// With no local workers, the pool waits for the first remote worker;
    /// this is asked every 0.1 s and ends the wait when it returns true.
    public var cancelWaiting: (@Sendable () -> Bool)?

    public init(environment: String, workers: Int, environmentsPerWorker: Int, herdExecutable: String) {
        self.environment = environment
        self.workers = workers
        self.environmentsPerWorker = environmentsPerWorker
        self.herdExecutable = herdExecutable
        if environment.hasPrefix("gymnasium:") { stepTimeout = 10 }
    }

    /// Total environments: local workers' and remote places'.
    public var environmentCount: Int { (workers + remoteWorkers) * environmentsPerWorker }

    /// The `herd` executable beside the running one, or `HERD_EXECUTABLE`.
    public static func defaultHerdExecutable() -> String {
        if let path = ProcessInfo.processInfo.environment["HERD_EXECUTABLE"] { return path }
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return own.deletingLastPathComponent().appendingPathComponent("herd").path
    }

    /// `name` itself when it is a path, else the first executable of that
    /// name on PATH.
    public static func executable(named name: String) -> String? {
        if name.contains("/") { return name }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// The directory of the `herd` executable (`HERD_EXECUTABLE`, which
    /// `herd` sets to itself at start; else the running program's).
    public static func executableDirectory() -> URL {
        URL(fileURLWithPath: defaultHerdExecutable()).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// `envs/gymnasium_worker.py` from `HERD_ENVS_DIR`, the working
    /// directory, the install prefix or the checkout (`Installation`).
    public static func defaultGymnasiumWorker() -> String? {
        let script = "gymnasium_worker.py"
        guard let directory = Installation.directory("envs", override: "HERD_ENVS_DIR", holding: script) else { return nil }
        let path = directory.appendingPathComponent(script).path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }
}
