import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

/// BatchPPO (Schulman et al. 2017; Hafner et al. 2017): every environment
/// stepped in lockstep, one clipped-surrogate (or KL-penalty) update of
/// several epochs per rollout. Its section is `ppo:` (``PPOSettings``).
public enum PPOAgent: Agent {
    public static let name = "ppo"
    public static let summary = "BatchPPO: lockstep rollouts from every environment, clipped surrogate or adaptive KL penalty."
    public static let dataSource = DataSourceKind.lockstep
    public static let checkpointFormat = "ppo-1"

    public static let kl = Metric("kl", tag: "ppo/kl", .nats, "Mean KL divergence of the updated policy from the acting one.")
    public static let clipFraction = Metric("clip_fraction", tag: "ppo/clip_fraction", .fraction,
                                            "Share of samples whose probability ratio was clipped.")
    public static let klPenalty = Metric("kl_penalty", tag: "ppo/kl_penalty", .value, "The adaptive KL penalty's coefficient (last update).")

    public static let metrics: [Metric] = [
        LearnerMetrics.policyLoss, LearnerMetrics.valueLoss, LearnerMetrics.entropy, kl, clipFraction, klPenalty,
        LearnerMetrics.learningRate, LearnerMetrics.gradientNorm, LearnerMetrics.explainedVariance,
    ]

    public static func start(_ settings: PPOSettings, context: TrainingContext) throws -> any AgentRun {
        try PPORun(settings: settings, context: context)
    }

    public static func trainedPolicy(_ settings: PPOSettings, checkpoint file: SafetensorsFile, path: String, config: TrainConfig,
                                     spaces: EnvironmentSpaces) throws -> any TrainedPolicy {
        try actorCriticPolicy(checkpoint: file, path: path, config: config, spaces: spaces)
    }

    /// PPO's and V-trace's stored policy: `network/<name>` and, for PPO, the frozen observation normaliser.
    static func actorCriticPolicy(checkpoint file: SafetensorsFile, path: String, config: TrainConfig,
                                  spaces: EnvironmentSpaces) throws -> ActorCriticPolicy {
        let head = ActionHead(space: spaces.action)
        var random = RandomGenerator(seed: 0)
        let size = spaces.observation.flatCount
        let network = ActorCritic(observationSize: size, observationShape: spaces.observation.shape, head: head,
                                  settings: config.network, using: &random)
        try Checkpoint.loadNetwork(network, from: file, path: path)
        let normalizer = try Checkpoint.normalizer(PPORun.observationNormalizerKey, of: file,
                                                   restoringInto: PPORun.observationNormalizer(size: size), path: path)
        return ActorCriticPolicy(network: network, normalizer: normalizer, mapping: ActionMapping(space: spaces.action, head: head))
    }
}

extension TrainConfig {
    /// The `ppo:` section (defaults when the agent is another).
    public var ppo: PPOSettings {
        get { settings(PPOSettings.self) ?? PPOSettings() }
        set { agent = PPOAgent.name; agentSettings = newValue }
    }
}

extension PPOSettings: AgentSettings {
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

    public func validate(in config: TrainConfig, _ c: ConfigCoder) throws {
        let rows = stepsPerEnvironment * config.environment.environmentCount
        if minibatches > rows {
            throw c.invalid("ppo.minibatches", "\(minibatches)", must: "be at most the rollout size steps_per_env × environments = \(rows)")
        }
    }
}
