import Foundation
import HerdAgents
import HerdEnvironments
import HerdTensor

/// Which learner `herd train` runs.
public enum AgentKind: String, ConfigEnum, Sendable {
    /// BatchPPO on environments stepped in lockstep (`ppo:` section).
    case ppo
    /// IMPALA's V-trace actor-critic on central inference (`vtrace:` section).
    case vtrace
    /// R2D2: recurrent Q-learning from prioritised sequence replay, acting through central inference (`r2d2:` section).
    case r2d2
}

/// A training run: everything in a `configs/*.yaml` file. The shipped
/// configs comment every field; ``ConfigCoder/yaml(_:)`` writes the fully
/// resolved form into the run directory.
public struct TrainConfig: ConfigSection, Equatable, Sendable {
    /// Run name; the run directory defaults to `runs/<name>-<timestamp>`.
    /// Empty: the config file's name without extension.
    public var name = ""
    public var agent = AgentKind.ppo
    /// Seeds the networks, the action sampling and environment `i` from `(seed, i)`.
    public var seed = 0
    /// Environment steps (summed over environments) to train for.
    public var totalSteps = 100_000
    /// `cpu` or a simulated accelerator profile (`configs/devices/*.yaml`).
    public var device = "cpu"
    public var environment = EnvironmentConfig()
    public var network = NetworkSettings()
    public var ppo = PPOSettings()
    public var vtrace = VTraceConfig()
    public var r2d2 = R2D2Config()
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
        try c.field("agent", &agent)
        try c.field("seed", &seed, must: "be ≥ 0") { $0 >= 0 }
        try c.field("total_steps", &totalSteps, must: "be positive") { $0 > 0 }
        try c.field("device", &device, must: "not be empty") { !$0.isEmpty }
        try c.section("environment", &environment)
        try c.section("network", &network)
        try c.section("ppo", &ppo)
        try c.section("vtrace", &vtrace)
        try c.section("r2d2", &r2d2)
        try c.section("fleet", &fleet)
        try c.section("logging", &logging)
        try c.section("checkpoint", &checkpoint)
        try c.section("evaluation", &evaluation)
        try c.field("max_consecutive_nonfinite", &maxConsecutiveNonFinite, must: "be positive") { $0 > 0 }
        if c.isReading, agent == .ppo, let listen = fleet.listen {
            throw c.invalid("fleet.listen", listen, must: "be null for agent ppo: remote workers join asynchronous stepping (agent: vtrace or r2d2)")
        }
        if c.isReading, agent == .r2d2, r2d2.learner.nSteps >= r2d2.learner.sequenceLength {
            throw c.invalid("r2d2.n_steps", "\(r2d2.learner.nSteps)", must: "be below r2d2.sequence_length = \(r2d2.learner.sequenceLength)")
        }
        if c.isReading, fleet.maxEnvsPerWorker < environment.envsPerWorker {
            throw c.invalid("fleet.max_envs_per_worker", "\(fleet.maxEnvsPerWorker)", must: "be at least environment.envs_per_worker = \(environment.envsPerWorker)")
        }
        if c.isReading, fleet.localWorkers == 0, fleet.listen == nil {
            throw c.invalid("fleet.local_workers", "0", must: "be positive unless fleet.listen (or --listen) lets remote workers in")
        }
        if c.isReading, agent == .ppo {
            let rows = ppo.stepsPerEnvironment * environment.environmentCount
            if ppo.minibatches > rows {
                throw c.invalid("ppo.minibatches", "\(ppo.minibatches)",
                                must: "be at most the rollout size steps_per_env × environments = \(rows)")
            }
        }
    }

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

    public init() {}

    /// Workers after resolving 0 to the number of cores.
    public var resolvedWorkers: Int { workers > 0 ? workers : ProcessInfo.processInfo.activeProcessorCount }
    public var environmentCount: Int { resolvedWorkers * envsPerWorker }

    public mutating func describe(_ c: ConfigCoder) throws {
        try c.field("name", &name, must: "not be empty") { !$0.isEmpty }
        try c.field("settings", &settings)
        try c.field("workers", &workers, must: "be ≥ 0 (0: one per core)") { $0 >= 0 && $0 <= 1024 }
        try c.field("envs_per_worker", &envsPerWorker, must: "be in 1...65536") { (1...65536).contains($0) }
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
        try c.field("listen", &listen, must: "be tcp://ADDRESS:PORT, or a port number (loopback: tcp://127.0.0.1:PORT)") {
            $0.map { $0.hasPrefix("tcp://") || (Int($0).map { (1...65535).contains($0) } ?? false) } ?? true
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

/// The V-trace learner and the central inference that feeds it.
public struct VTraceConfig: ConfigSection, Equatable, Sendable {
    public var learner = VTraceLearnerSettings()
    /// Most environments per inference batch (0: every environment).
    public var inferenceMaxBatch = 0
    /// Environments worth waiting for before acting (0: the maximum batch).
    public var inferenceFullBatch = 0
    /// Milliseconds to wait for a full batch before acting on what is ready.
    public var inferenceTimeoutMs = 2.0
    /// Finished unrolls waiting for the learner (back-pressure beyond).
    public var queueCapacity = 64

    public init() {}

    public mutating func describe(_ c: ConfigCoder) throws {
        let positive = "be positive", nonNegative = "be ≥ 0", clip = "be positive, or null for no clipping"
        try c.field("unroll_length", &learner.unrollLength, must: positive) { $0 > 0 }
        try c.field("batch_size", &learner.batchSize, must: positive) { $0 > 0 }
        try c.field("learning_rate", &learner.learningRate, must: positive) { $0 > 0 }
        try c.field("anneal_learning_rate", &learner.annealLearningRate)
        try c.field("optimizer", &learner.optimizer)
        try c.field("adam_epsilon", &learner.adamEpsilon, must: positive) { $0 > 0 }
        try c.field("rmsprop_decay", &learner.rmspropDecay, must: "be in [0, 1)") { (0..<1).contains($0) }
        try c.field("rmsprop_momentum", &learner.rmspropMomentum, must: "be in [0, 1)") { (0..<1).contains($0) }
        try c.field("rmsprop_epsilon", &learner.rmspropEpsilon, must: positive) { $0 > 0 }
        try c.field("gamma", &learner.discount, must: "be in [0, 1]") { (0...1).contains($0) }
        try c.field("lambda", &learner.vtrace.lambda, must: "be in [0, 1]") { (0...1).contains($0) }
        try c.field("clip_rho", &learner.vtrace.clipRho, must: clip) { $0.map { $0 > 0 } ?? true }
        try c.field("clip_c", &learner.vtrace.clipC, must: clip) { $0.map { $0 > 0 } ?? true }
        try c.field("clip_pg_rho", &learner.vtrace.clipPGRho, must: clip) { $0.map { $0 > 0 } ?? true }
        try c.field("baseline_coefficient", &learner.baselineCoefficient, must: nonNegative) { $0 >= 0 }
        try c.field("entropy_coefficient", &learner.entropyCoefficient, must: nonNegative) { $0 >= 0 }
        try c.field("max_grad_norm", &learner.maxGradientNorm, must: "be ≥ 0 (0: off)") { $0 >= 0 }
        try c.field("reward_clipping", &learner.rewardClipping)
        try c.field("inference_max_batch", &inferenceMaxBatch, must: "be ≥ 0 (0: every environment)") { $0 >= 0 }
        try c.field("inference_full_batch", &inferenceFullBatch, must: "be ≥ 0 (0: the maximum batch)") { $0 >= 0 }
        try c.field("inference_timeout_ms", &inferenceTimeoutMs, must: nonNegative) { $0 >= 0 }
        try c.field("queue_capacity", &queueCapacity, must: positive) { $0 > 0 }
    }
}

/// R2D2's learner, replay, network core and acting.
public struct R2D2Config: ConfigSection, Equatable, Sendable {
    public var learner = R2D2Settings()
    /// LSTM width, the feed-forward replacement (memoryless baseline) and dueling heads;
    /// the torso before them is the `network:` section.
    public var lstmSize = 64
    public var feedForward = false
    public var dueling = true
    /// Feed the previous action and reward to the core.
    public var previousInputs = true
    /// Sequences the replay holds (FIFO beyond).
    public var replayCapacity = 10_000
    /// Sequences stored before learning starts.
    public var minReplay = 100
    /// Sequences sampled per sequence stored: the learner waits for data above it,
    /// and acting waits for the learner (back-pressure) below it.
    public var replayRatio = 4.0
    /// Ape-X exploration: environment i of N acts with ε = base^(1 + alpha·i/(N − 1)).
    public var epsilonBase = 0.4
    public var epsilonAlpha = 7.0
    /// ε of evaluation episodes.
    public var evaluationEpsilon = 0.001
    /// Steps per unroll the inference server hands over (the learner cuts sequences from them).
    public var unrollLength = 20
    /// Central inference: most environments per batch (0: all), and the wait for a full batch.
    public var inferenceMaxBatch = 0
    public var inferenceTimeoutMs = 2.0
    public var queueCapacity = 64

    public init() {
        learner.sequenceLength = 80
    }

    public mutating func describe(_ c: ConfigCoder) throws {
        let positive = "be positive"
        try c.field("sequence_length", &learner.sequenceLength, must: "be an even number ≥ 2") { $0 >= 2 && $0 % 2 == 0 }
        try c.field("burn_in", &learner.burnIn, must: "be ≥ 0") { $0 >= 0 }
        try c.field("n_steps", &learner.nSteps, must: positive) { $0 > 0 }
        try c.field("gamma", &learner.discount, must: "be in [0, 1]") { (0...1).contains($0) }
        try c.field("batch_size", &learner.batchSize, must: positive) { $0 > 0 }
        try c.field("learning_rate", &learner.learningRate, must: positive) { $0 > 0 }
        try c.field("adam_epsilon", &learner.adamEpsilon, must: positive) { $0 > 0 }
        try c.field("max_grad_norm", &learner.maxGradientNorm, must: "be ≥ 0 (0: off)") { $0 >= 0 }
        try c.field("target_update_period", &learner.targetUpdatePeriod, must: positive) { $0 > 0 }
        try c.field("priority_exponent", &learner.priorityExponent, must: "be ≥ 0") { $0 >= 0 }
        try c.field("importance_exponent", &learner.importanceExponent, must: "be in [0, 1]") { (0...1).contains($0) }
        try c.field("priority_eta", &learner.priorityEta, must: "be in [0, 1]") { (0...1).contains($0) }
        try c.field("value_rescaling", &learner.valueRescaling)
        try c.field("lstm_size", &lstmSize, must: positive) { $0 > 0 }
        try c.field("feed_forward", &feedForward)
        try c.field("dueling", &dueling)
        try c.field("previous_inputs", &previousInputs)
        try c.field("replay_capacity", &replayCapacity, must: positive) { $0 > 0 }
        try c.field("min_replay", &minReplay, must: positive) { $0 > 0 }
        try c.field("replay_ratio", &replayRatio, must: positive) { $0 > 0 }
        try c.field("epsilon_base", &epsilonBase, must: "be in [0, 1]") { (0...1).contains($0) }
        try c.field("epsilon_alpha", &epsilonAlpha, must: "be ≥ 0") { $0 >= 0 }
        try c.field("evaluation_epsilon", &evaluationEpsilon, must: "be in [0, 1]") { (0...1).contains($0) }
        try c.field("unroll_length", &unrollLength, must: positive) { $0 > 0 }
        try c.field("inference_max_batch", &inferenceMaxBatch, must: "be ≥ 0 (0: every environment)") { $0 >= 0 }
        try c.field("inference_timeout_ms", &inferenceTimeoutMs, must: "be ≥ 0") { $0 >= 0 }
        try c.field("queue_capacity", &queueCapacity, must: positive) { $0 > 0 }
    }
}

extension Activation: ConfigEnum {}
extension VTraceOptimizer: ConfigEnum {}
extension RewardClipping: ConfigEnum {}
extension StandardDeviation: ConfigEnum {}
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
    }
}

extension PPOSettings: ConfigSection {
    public mutating func describe(_ c: ConfigCoder) throws {
        let positive = "be positive", nonNegative = "be ≥ 0", unit = "be in [0, 1]"
        try c.field("steps_per_env", &stepsPerEnvironment, must: positive) { $0 > 0 }
        try c.field("epochs", &epochs, must: positive) { $0 > 0 }
        try c.field("minibatches", &minibatches, must: positive) { $0 > 0 }
        try c.field("learning_rate", &learningRate, must: positive) { $0 > 0 }
        try c.field("anneal_learning_rate", &annealLearningRate)
        try c.field("adam_epsilon", &adamEpsilon, must: positive) { $0 > 0 }
        try c.field("gamma", &discount, must: unit) { (0...1).contains($0) }
        try c.field("lambda", &lambda, must: unit) { (0...1).contains($0) }
        try c.field("objective", &objective)
        try c.field("clip_range", &clipRange, must: positive) { $0 > 0 }
        try c.field("anneal_clip_range", &annealClipRange)
        try c.field("kl_target", &klTarget, must: positive) { $0 > 0 }
        try c.field("kl_initial_penalty", &klInitialPenalty, must: positive) { $0 > 0 }
        try c.field("kl_cutoff_factor", &klCutoffFactor, must: positive) { $0 > 0 }
        try c.field("kl_cutoff_coefficient", &klCutoffCoefficient, must: nonNegative) { $0 >= 0 }
        try c.field("value_coefficient", &valueCoefficient, must: nonNegative) { $0 >= 0 }
        try c.field("value_clip_range", &valueClipRange, must: "be ≥ 0 (0: off)") { $0 >= 0 }
        try c.field("entropy_coefficient", &entropyCoefficient, must: nonNegative) { $0 >= 0 }
        try c.field("max_grad_norm", &maxGradientNorm, must: "be ≥ 0 (0: off)") { $0 >= 0 }
        try c.field("normalize_advantages", &normalizeAdvantages)
        try c.field("normalize_observations", &normalizeObservations)
        try c.field("normalize_rewards", &normalizeRewards)
    }
}
