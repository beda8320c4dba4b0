import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdRuntime
import HerdTensor

/// R2D2 (Kapturowski et al. 2019): recurrent Q-learning from prioritised
/// sequence replay, acting ε-greedily through central inference. Its
/// section is `r2d2:` (``R2D2Config``).
public enum R2D2Agent: Agent {
    public static let name = "r2d2"
    public static let summary = "R2D2: recurrent Q-learning from prioritised sequence replay fed by central inference."
    public static let dataSource = DataSourceKind.inference
    public static let checkpointFormat = "r2d2-1"

    public static let tdErrorMean = Metric("td_error_mean", tag: "r2d2/td_error_mean", .value,
                                           "Mean absolute TD error on the trained steps (rescaled space).")
    public static let qMean = Metric("q_mean", tag: "r2d2/q_mean", .value, "Mean Q value of the taken actions on the trained steps.")
    public static let replaySize = Metric("replay_size", tag: "r2d2/replay_size", .count, "Sequences in replay.")
    public static let replayPriorityMean = Metric("replay_priority_mean", tag: "r2d2/replay_priority_mean", .value,
                                                  "Mean priority of the sequences in replay.")
    public static let sequenceAgeMean = Metric("sequence_age_mean", tag: "r2d2/sequence_age_mean", .count,
                                               "Mean learner steps between storing a sequence and training on it.")
    public static let replayInserted = Metric("replay_inserted", tag: nil, .count, "Sequences stored in this session.")
    public static let sequencesSampled = Metric("sequences_sampled", tag: nil, .count, "Sequences sampled for learning in this session.")

    public static let metrics: [Metric] = [
        LearnerMetrics.valueLoss, tdErrorMean, qMean, LearnerMetrics.gradientNorm, LearnerMetrics.learningRate,
        replaySize, replayPriorityMean, sequenceAgeMean, LearnerMetrics.learnerStepsPerSecond,
    ] + UnrollSource.metrics

    public static let summaryMetrics = UnrollSource.summaryFields
        + [replaySize, replayInserted, replayPriorityMean, sequencesSampled, LearnerMetrics.learnerStepsPerSecond]

    public static func start(_ settings: R2D2Config, context: TrainingContext) throws -> any AgentRun {
        try R2D2Run(settings: settings, context: context)
    }

    public static func trainedPolicy(_ settings: R2D2Config, checkpoint file: SafetensorsFile, path: String, config: TrainConfig,
                                     spaces: EnvironmentSpaces) throws -> any TrainedPolicy {
        guard case let .discrete(actions) = spaces.action else {
            throw RunError.incompatible(path: path, reason: "an R2D2 checkpoint for continuous actions")
        }
        var random = RandomGenerator(seed: 0)
        let network = Self.network(settings, torso: config.network, observationSize: spaces.observation.flatCount,
                                   observationShape: spaces.observation.shape, actions: actions, using: &random)
        try Checkpoint.loadNetwork(network, from: file, path: path, prefix: "online")
        return QNetworkPolicy(network: network, epsilon: settings.evaluationEpsilon)
    }

    /// The Q-network a config describes.
    static func network(_ r: R2D2Config, torso: NetworkSettings, observationSize: Int, observationShape: [Int]?, actions: Int,
                        using rng: inout RandomGenerator) -> R2D2Network {
        var settings = R2D2NetworkSettings()
        settings.torso = torso
        settings.lstmSize = r.lstmSize
        settings.feedForward = r.feedForward
        settings.dueling = r.dueling
        settings.previousInputs = r.previousInputs
        return R2D2Network(observationSize: observationSize, observationShape: observationShape, actions: actions,
                           settings: settings, using: &rng)
    }
}

extension TrainConfig {
    /// The `r2d2:` section (defaults when the agent is another).
    public var r2d2: R2D2Config {
        get { settings(R2D2Config.self) ?? R2D2Config() }
        set { agent = R2D2Agent.name; agentSettings = newValue }
    }
}

/// R2D2's learner, replay, network core and acting.
public struct R2D2Config: AgentSettings, Equatable {
    public var learner = R2D2Settings()
    /// LSTM width, the feed-forward replacement (memoryless baseline) and dueling heads;
    /// the torso before them is the `network:` section.
    public var lstmSize = 64
    public var feedForward = false
    public var dueling = true
    /// Feed the previous action and reward to the core.
    public var previousInputs = true
    /// Bootstrap from the final observation where a time limit cut the
    /// episode (``SequenceBuilder``); off: discount 0 there, as seed_rl.
    public var bootstrapTruncation = true
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
        try c.field("anneal_learning_rate", &learner.annealLearningRate)
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
        try c.field("bootstrap_truncation", &bootstrapTruncation)
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

    public func validate(in config: TrainConfig, _ c: ConfigCoder) throws {
        if learner.nSteps >= learner.sequenceLength {
            throw c.invalid("r2d2.n_steps", "\(learner.nSteps)", must: "be below r2d2.sequence_length = \(learner.sequenceLength)")
        }
    }
}
