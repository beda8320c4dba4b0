import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdRuntime
import HerdTensor

/// IMPALA's V-trace actor-critic (Espeholt et al. 2018) the SEED RL way
/// (Espeholt et al. 2020): environments step asynchronously, central
/// inference acts and builds `T + 1`-step unrolls, the learner takes `B`
/// at a time. Its section is `vtrace:` (``VTraceConfig``).
public enum VTraceAgent: Agent {
    public static let name = "vtrace"
    public static let summary = "IMPALA's V-trace actor-critic on SEED-style central inference."
    public static let dataSource = DataSourceKind.inference
    public static let checkpointFormat = "vtrace-1"

    public static let meanRho = Metric("mean_rho", tag: "vtrace/mean_rho", .value,
                                       "Mean importance ratio π(a)/μ(a) on the batches, before clipping.")
    public static let clippedRhoFraction = Metric("clipped_rho_fraction", tag: "vtrace/clipped_rho_fraction", .fraction,
                                                  "Share of ratios clipped at clip_rho.")
    public static let policyLagMean = Metric("policy_lag_mean", tag: "vtrace/policy_lag_mean", .count,
                                             "Mean learner steps between acting and learning on an unroll (its oldest step).")
    public static let policyLagMax = Metric("policy_lag_max", tag: "vtrace/policy_lag_max", .count, "Largest such lag in the interval.")

    public static let metrics: [Metric] = [
        LearnerMetrics.policyLoss, LearnerMetrics.valueLoss, LearnerMetrics.entropy, LearnerMetrics.learningRate,
        LearnerMetrics.gradientNorm, LearnerMetrics.explainedVariance, meanRho, clippedRhoFraction, policyLagMean, policyLagMax,
        LearnerMetrics.learnerStepsPerSecond,
    ] + UnrollSource.metrics

    public static let summaryMetrics = UnrollSource.summaryFields

    public static func start(_ settings: VTraceConfig, context: TrainingContext) throws -> any AgentRun {
        try VTraceRun(settings: settings, context: context)
    }

    public static func trainedPolicy(_ settings: VTraceConfig, checkpoint file: SafetensorsFile, path: String, config: TrainConfig,
                                     spaces: EnvironmentSpaces) throws -> any TrainedPolicy {
        try PPOAgent.actorCriticPolicy(checkpoint: file, path: path, config: config, spaces: spaces)
    }
}

extension TrainConfig {
    /// The `vtrace:` section (defaults when the agent is another).
    public var vtrace: VTraceConfig {
        get { settings(VTraceConfig.self) ?? VTraceConfig() }
        set { agent = VTraceAgent.name; agentSettings = newValue }
    }
}

/// The V-trace learner and the central inference that feeds it.
public struct VTraceConfig: AgentSettings, Equatable {
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
