import Foundation
import HerdTransport
import HerdAgents
import HerdEnvironments
import HerdTensor

/// A training run: everything in a `configs/*.yaml` file. The shipped
/// configs comment every field; ``ConfigCoder/yaml(_:)`` writes the fully
/// resolved form into the run directory.
public struct TrainConfig: ConfigSection, Equatable, Sendable {
    /// Run name; the run directory defaults to `runs/<name>-<timestamp>`.
    /// Empty: the config file's name without extension.
    public var name = ""
    /// An ``AgentRegistry`` name (`ppo`, `vtrace`, `r2d2`, …); its section
    /// (`ppo:`) is ``agentSettings``.
    public var agent = PPOAgent.name
    /// Seeds the networks, the action sampling and environment `i` from `(seed, i)`.
    public var seed = 0
    /// Environment steps (summed over environments) to train for.
    public var totalSteps = 100_000
    /// `cpu` or a simulated accelerator profile (`configs/devices/*.yaml`).
    public var device = "cpu"
    public var environment = EnvironmentConfig()
    public var network = NetworkSettings()
    /// The agent's own section, of its ``AgentSettings`` type.
    public var agentSettings: any AgentSettings = PPOSettings()
    public var fleet = FleetConfig()
    public var logging = LoggingConfig()
    public var checkpoint = CheckpointConfig()
    public var evaluation = EvaluationConfig()
    /// Gradient steps in a row with a NaN or infinite loss or gradient (each
    /// skipped) after which the run stops with an error; the checkpoint
    /// written at the first of them holds the parameters from before it.
    public var maxConsecutiveNonFinite = 20

    public init() {}

    public mutating func describe(_ c: ConfigCoder) throws {
        try c.field("name", &name, must: "be a file-name-safe word") { !$0.contains("/") }
        try c.field("agent", &agent, must: "be one of \(AgentRegistry.names.joined(separator: ", "))") { AgentRegistry.agent(named: $0) != nil }
        if c.isReading, let entry = AgentRegistry.agent(named: agent), entry.name != Self.agentName(of: agentSettings) {
            agentSettings = entry.makeSettings()
        }
        try c.field("seed", &seed, must: "be ≥ 0") { $0 >= 0 }
        try c.field("total_steps", &totalSteps, must: "be positive") { $0 > 0 }
        try c.field("device", &device, must: "not be empty") { !$0.isEmpty }
        if c.isReading, let problem = DeviceCatalog.standard().problem(with: device) {
            throw c.invalid("device", device, must: "be cpu or a simulated accelerator NAME[:fp32|bf16|int8] (\(problem))")
        }
        try c.section("environment", &environment)
        try c.section("network", &network)
        try agentSettings.describeSection(agent, c)
        if c.isReading {
            // Another registered agent's section is checked (its keys and
            // values must be right) and ignored: configs written before a
            // config held only its agent's section still load.
            for other in AgentRegistry.agents where other.name != agent {
                var ignored = other.makeSettings()
                try ignored.describeSection(other.name, c)
            }
        }
        try c.section("fleet", &fleet)
        try c.section("logging", &logging)
        try c.section("checkpoint", &checkpoint)
        try c.section("evaluation", &evaluation)
        try c.field("max_consecutive_nonfinite", &maxConsecutiveNonFinite, must: "be positive") { $0 > 0 }
        if c.isReading, let listen = fleet.listen, AgentRegistry.agent(named: agent)?.dataSource == .lockstep {
            throw c.invalid("fleet.listen", listen, must: "be null for agent \(agent): remote workers join asynchronous stepping "
                            + "(agents \(AgentRegistry.agents.filter { $0.dataSource == .inference }.map(\.name).joined(separator: ", ")))")
        }
        if c.isReading, fleet.maxEnvsPerWorker < environment.envsPerWorker {
            throw c.invalid("fleet.max_envs_per_worker", "\(fleet.maxEnvsPerWorker)", must: "be at least environment.envs_per_worker = \(environment.envsPerWorker)")
        }
        if c.isReading, fleet.localWorkers == 0, fleet.listen == nil {
            throw c.invalid("fleet.local_workers", "0", must: "be positive unless fleet.listen (or --listen) lets remote workers in")
        }
        if c.isReading { try agentSettings.validate(in: self, c) }
    }

    /// The registered agent whose settings type `settings` is.
    static func agentName(of settings: any AgentSettings) -> String? {
        AgentRegistry.agents.first { type(of: $0.makeSettings()) == type(of: settings) }?.name
    }

    /// The agent's section as `S` (the agents' accessors, `config.ppo`, use it).
    public func settings<S: AgentSettings>(_ type: S.Type = S.self) -> S? { agentSettings as? S }

    /// Configs are equal when they write the same resolved YAML.
    public static func == (a: TrainConfig, b: TrainConfig) -> Bool { ConfigCoder.yaml(a) == ConfigCoder.yaml(b) }

    /// Loads a config file with `--set` overrides applied; an empty name
    /// becomes the file's base name.
    public static func load(_ url: URL, overrides: [String] = []) throws -> TrainConfig {
        var config = try ConfigCoder.read(file: url, overrides: overrides, defaults: TrainConfig())
        if config.name.isEmpty { config.name = url.deletingPathExtension().lastPathComponent }
        return config
    }
}

/// Where and how many environments run.
public struct EnvironmentConfig: ConfigSection, Equatable, Sendable {
    /// A registered name (`herd envs list`) or `gymnasium:<id>`.
    public var name = "CartPole-v1"
    /// Environment settings, e.g. `{max_episode_steps: 200}`.
    public var settings: [String: SettingValue] = [:]
    /// Worker processes; 0 means one per core.
    public var workers = 0
    /// Environments stepped by each worker.
    public var envsPerWorker = 4
    /// How observations cross the wire: `native` (byte images as u8, the
    /// rest f32), `bf16` (floats in half the bytes, 8 mantissa bits) or
    /// `f32` (everything as float32).
    public var observationEncoding = ObservationEncodingSetting.native
    /// Gymnasium wrappers applied worker-side (`gymnasium:` environments only).
    public var wrappers = GymnasiumWrappers()
    /// The Python interpreter of `gymnasium:` environments' workers (a name
    /// on PATH or a path), checked before they start.
    public var python = "python3"

    public init() {}

    /// Workers after resolving 0 to the number of cores.
    public var resolvedWorkers: Int { workers > 0 ? workers : ProcessInfo.processInfo.activeProcessorCount }
    public var environmentCount: Int { resolvedWorkers * envsPerWorker }

    public mutating func describe(_ c: ConfigCoder) throws {
        try c.field("name", &name, must: "not be empty") { !$0.isEmpty }
        try c.field("settings", &settings)
        try c.field("workers", &workers, must: "be ≥ 0 (0: one per core)") { $0 >= 0 && $0 <= 1024 }
        try c.field("envs_per_worker", &envsPerWorker, must: "be in 1...65536") { (1...65536).contains($0) }
        try c.field("observation_encoding", &observationEncoding)
        try c.field("wrappers", &wrappers)
        try c.field("python", &python, must: "not be empty") { !$0.isEmpty }
        if c.isReading, !wrappers.wrappers.isEmpty, !name.hasPrefix("gymnasium:") {
            throw c.invalid("wrappers", wrappers.yamlText,
                            must: "be empty for built-in environments (they are Gymnasium wrappers, applied by the Python worker)")
        }
    }
}

/// Workers from other machines (`herd actor` daemons) and the local ones.
public struct FleetConfig: ConfigSection, Equatable, Sendable {
    /// `tcp://ADDRESS:PORT` where remote workers connect; nil: local workers only.
    public var listen: String? = nil
    /// Local worker processes; nil: `environment.workers`; 0: only remote fleets.
    public var localWorkers: Int? = nil
    /// Places for remote workers, each of `environment.envs_per_worker` environments.
    public var remoteWorkers = 4
    /// Seconds of silence after which a remote worker counts as gone.
    public var remoteTimeout = 5.0
    /// CURVE: the learner's secret key file (`herd keys generate`); with
    /// `authorized_keys`, every connection is authenticated and encrypted.
    public var curveSecretKey: String? = nil
    /// CURVE: a directory of `*.key` public keys of the daemons let in.
    public var authorizedKeys: String? = nil
    /// Largest frame a worker may send, in bytes; a remote worker over it is
    /// told so and disconnected.
    public var maxFrameBytes = 64 << 20
    /// Most environments one worker's frames may declare (at least
    /// `environment.envs_per_worker`).
    public var maxEnvsPerWorker = 4096
    /// Messages a remote worker may send out of turn (or malformed) before
    /// it is disconnected; also its receive queue bound.
    public var maxPendingMessages = 100

    public init() {}

    public mutating func describe(_ c: ConfigCoder) throws {
        try c.field("listen", &listen, must: "be tcp://ADDRESS:PORT (PORT in 1...65535), or a port number (loopback: tcp://127.0.0.1:PORT)") {
            $0.map { Self.validListen($0) } ?? true
        }
        if c.isReading, let port = listen.flatMap(Int.init) { listen = "tcp://127.0.0.1:\(port)" }
        try c.field("local_workers", &localWorkers, must: "be ≥ 0 (null: environment.workers)") { ($0 ?? 0) >= 0 }
        try c.field("remote_workers", &remoteWorkers, must: "be in 1...1024") { (1...1024).contains($0) }
        try c.field("remote_timeout", &remoteTimeout, must: "be positive") { $0 > 0 }
        try c.field("curve_secret_key", &curveSecretKey, must: "be a secret key file (herd keys generate)") { $0.map { !$0.isEmpty } ?? true }
        try c.field("authorized_keys", &authorizedKeys, must: "be a directory of public *.key files") { $0.map { !$0.isEmpty } ?? true }
        if c.isReading, (curveSecretKey == nil) != (authorizedKeys == nil) {
            throw c.invalid(curveSecretKey == nil ? "authorized_keys" : "curve_secret_key", curveSecretKey ?? authorizedKeys ?? "",
                            must: "come with fleet.\(curveSecretKey == nil ? "curve_secret_key" : "authorized_keys") (CURVE needs both)")
        }
        try c.field("max_frame_bytes", &maxFrameBytes, must: "be in 4096...1073741824") { (4096...(1 << 30)).contains($0) }
        try c.field("max_envs_per_worker", &maxEnvsPerWorker, must: "be in 1...65536") { (1...65536).contains($0) }
        try c.field("max_pending_messages", &maxPendingMessages, must: "be in 1...1000000") { (1...1_000_000).contains($0) }
    }

    /// `tcp://HOST:PORT` with a port in 1...65535, or a bare port.
    static func validListen(_ text: String) -> Bool {
        func port(_ s: Substring) -> Bool { Int(s).map { (1...65535).contains($0) } ?? false }
        guard text.hasPrefix("tcp://") else { return port(Substring(text)) }
        guard let colon = text.lastIndex(of: ":"), colon > text.index(text.startIndex, offsetBy: 5) else { return true }
        let tail = text[text.index(after: colon)...]
        return tail == "*" || Int(tail) == nil || port(tail)
    }

    /// Whether `listen` binds beyond this machine (not 127.x, ::1 or localhost).
    public var listensBeyondLoopback: Bool {
        guard let listen else { return false }
        let rest = listen.dropFirst("tcp://".count)
        let host = rest.prefix(upTo: rest.lastIndex(of: ":") ?? rest.endIndex).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return !(host.hasPrefix("127.") || host == "::1" || host == "localhost")
    }
}

/// How often progress is recorded.
public struct LoggingConfig: ConfigSection, Equatable, Sendable {
    /// Environment steps between lines of `metrics.jsonl`, TensorBoard points
    /// and progress lines (rounded up to whole updates).
    public var intervalSteps = 10_000
    public init() {}
    public mutating func describe(_ c: ConfigCoder) throws {
        try c.field("interval_steps", &intervalSteps, must: "be positive") { $0 > 0 }
    }
}

/// Checkpoint cadence and retention.
public struct CheckpointConfig: ConfigSection, Equatable, Sendable {
    /// Environment steps between checkpoints (one is always written at the end).
    public var intervalSteps = 50_000
    /// Newest checkpoints kept; older ones are deleted.
    public var keep = 3
    public init() {}
    public mutating func describe(_ c: ConfigCoder) throws {
        try c.field("interval_steps", &intervalSteps, must: "be positive") { $0 > 0 }
        try c.field("keep", &keep, must: "be at least 1") { $0 >= 1 }
    }
}

/// Periodic evaluation during training (in-process environments, separate
/// seeds, no exploration when deterministic).
public struct EvaluationConfig: ConfigSection, Equatable, Sendable {
    /// Environment steps between evaluations; 0 turns them off.
    public var intervalSteps = 0
    public var episodes = 100
    /// Take the policy's mode instead of sampling.
    public var deterministic = true
    /// A mean return that counts as solved; the first step reaching it is
    /// recorded in `summary.json`.
    public var targetReturn: Double? = nil
    /// Stop training once the target is reached.
    public var stopAtTarget = false
    public init() {}
    public mutating func describe(_ c: ConfigCoder) throws {
        try c.field("interval_steps", &intervalSteps, must: "be ≥ 0") { $0 >= 0 }
        try c.field("episodes", &episodes, must: "be positive") { $0 > 0 }
        try c.field("deterministic", &deterministic)
        try c.field("target_return", &targetReturn)
        try c.field("stop_at_target", &stopAtTarget)
    }
}

extension Activation: ConfigEnum {}
extension VTraceOptimizer: ConfigEnum {}
extension RewardClipping: ConfigEnum {}
extension StandardDeviation: ConfigEnum {}
extension ConvPadding: ConfigEnum {}
extension ObservationEncodingSetting: ConfigEnum {}

/// `environment.observation_encoding`: what the pool asks workers for.
public enum ObservationEncodingSetting: String, Sendable, CaseIterable {
    case native, bf16, f32

    public var wire: ObservationEncoding {
        switch self {
        case .native: return .native
        case .bf16: return .bf16
        case .f32: return .f32
        }
    }
}
extension PPOObjective: ConfigEnum {}

extension NetworkSettings: ConfigSection {
    public mutating func describe(_ c: ConfigCoder) throws {
        try c.field("hidden_sizes", &hiddenSizes, must: "hold positive widths") { $0.allSatisfy { $0 > 0 } }
        try c.field("activation", &activation)
        try c.field("shared", &shared)
        try c.field("tanh_mean", &tanhMean)
        try c.field("std", &standardDeviation)
        try c.field("initial_std", &initialStd, must: "be positive") { $0 > 0 }
        try c.field("conv_channels", &convChannels, must: "hold positive channel counts") { $0.allSatisfy { $0 > 0 } }
        try c.field("conv_kernels", &convKernels, must: "hold one or more positive sizes") { !$0.isEmpty && $0.allSatisfy { $0 > 0 } }
        try c.field("conv_strides", &convStrides, must: "hold one or more positive strides") { !$0.isEmpty && $0.allSatisfy { $0 > 0 } }
        try c.field("conv_padding", &convPadding)
        try c.field("input_scale", &inputScale, must: "be positive") { $0 > 0 && $0.isFinite }
    }
}

