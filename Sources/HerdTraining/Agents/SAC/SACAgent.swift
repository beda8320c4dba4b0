import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

/// Soft actor-critic (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms
/// and Applications"): off-policy learning for continuous actions from a
/// uniform replay fed by the lockstep pool. Its section is `sac:`
/// (``SACSettings``); its networks are its own (`sac.hidden_sizes`, ReLU),
/// not the `network:` section's.
public enum SACAgent: Agent {
    public static let name = "sac"
    public static let summary = "Soft actor-critic: twin Q networks, squashed Gaussian policy, learned temperature; replay fed by lockstep stepping."
    public static let dataSource = DataSourceKind.lockstep
    public static let checkpointFormat = "sac-1"

    public static let criticLoss = Metric("critic_loss", tag: "sac/critic_loss", .value,
                                          "mean((Q₁ − y)²) + mean((Q₂ − y)²) against the soft Bellman target, mean over the interval.")
    public static let actorLoss = Metric("actor_loss", tag: "sac/actor_loss", .value, "mean(α·log π(ã|s) − min Qᵢ(s, ã)), mean over the interval.")
    public static let alpha = Metric("alpha", tag: "sac/alpha", .value, "The temperature α of the last update.")
    public static let actorGradientNorm = Metric("actor_gradient_norm", tag: "sac/actor_gradient_norm", .value,
                                                 "The actor's gradient norm, mean over the interval.")

    public static let qMean = Metric("q_mean", tag: "sac/q_mean", .value, "Mean of Q₁ and Q₂ on the sampled transitions.")
    public static let replaySize = Metric("replay_size", tag: "sac/replay_size", .count, "Transitions in replay.")

    public static let metrics: [Metric] = [
        criticLoss, actorLoss, alpha, LearnerMetrics.entropy, qMean, LearnerMetrics.gradientNorm, actorGradientNorm,
        replaySize, LearnerMetrics.learnerStepsPerSecond,
    ]

    public static func start(_ settings: SACSettings, context: TrainingContext) throws -> any AgentRun {
        try SACRun(settings: settings, context: context)
    }

    public static func trainedPolicy(_ settings: SACSettings, checkpoint file: SafetensorsFile, path: String, config: TrainConfig,
                                     spaces: EnvironmentSpaces) throws -> any TrainedPolicy {
        guard case .box = spaces.action else {
            throw RunError.incompatible(path: path, reason: "a SAC checkpoint for discrete actions")
        }
        var random = RandomGenerator(seed: 0)
        let actor = SACActor(observationSize: spaces.observation.flatCount, actionSize: spaces.action.flatCount,
                             hiddenSizes: settings.hiddenSizes, logStdMin: settings.logStdMin, logStdMax: settings.logStdMax,
                             stateDependentNoise: settings.useSDE, logStdInit: settings.logStdInit, clipMean: settings.clipMean,
                             using: &random)
        try Checkpoint.loadNetwork(actor, from: file, path: path, prefix: "actor")
        return SACPolicy(actor: actor, mapping: ActionMapping(space: spaces.action, head: ActionHead(space: spaces.action)))
    }
}

extension TrainConfig {
    /// The `sac:` section (defaults when the agent is another).
    public var sac: SACSettings {
        get { settings(SACSettings.self) ?? SACSettings() }
        set { agent = SACAgent.name; agentSettings = newValue }
    }
}

extension SACSettings: AgentSettings {
    public mutating func describe(_ c: ConfigCoder) throws {
        let positive = "be positive"
        try c.field("learning_rate", &learningRate, must: positive) { $0 > 0 }
        try c.field("adam_epsilon", &adamEpsilon, must: positive) { $0 > 0 }
        try c.field("buffer_size", &bufferSize, must: positive) { $0 > 0 }
        try c.field("learning_starts", &learningStarts, must: "be ≥ 0") { $0 >= 0 }
        try c.field("batch_size", &batchSize, must: positive) { $0 > 0 }
        try c.field("tau", &tau, must: "be in [0, 1]") { (0...1).contains($0) }
        try c.field("gamma", &discount, must: "be in [0, 1]") { (0...1).contains($0) }
        try c.field("train_freq", &trainFrequency, must: positive) { $0 > 0 }
        try c.field("gradient_steps", &gradientSteps, must: positive) { $0 > 0 }
        try c.field("ent_coef", &entropyCoefficient, must: "be ≥ 0, or null to learn α (SB3's auto)") { ($0 ?? 0) >= 0 }
        try c.field("initial_ent_coef", &initialEntropyCoefficient, must: positive) { $0 > 0 }
        try c.field("target_entropy", &targetEntropy)
        try c.field("hidden_sizes", &hiddenSizes, must: "hold positive widths") { !$0.isEmpty && $0.allSatisfy { $0 > 0 } }
        try c.field("log_std_min", &logStdMin)
        try c.field("log_std_max", &logStdMax)
        try c.field("target_update_interval", &targetUpdateInterval, must: positive) { $0 > 0 }
        try c.field("use_sde", &useSDE)
        try c.field("log_std_init", &logStdInit)
        try c.field("sde_sample_freq", &sdeSampleFrequency, must: "be −1 (every round of updates) or positive") { $0 == -1 || $0 > 0 }
        try c.field("clip_mean", &clipMean, must: positive) { $0 > 0 }
        if c.isReading, logStdMin >= logStdMax {
            throw c.invalid("log_std_min", "\(logStdMin)", must: "be below sac.log_std_max = \(logStdMax)")
        }
    }
}
