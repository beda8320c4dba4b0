import Foundation
import HerdAgents
import HerdCore
import HerdRuntime
import HerdTensor

/// A V-trace run: each iteration takes `B` unrolls from central
/// inference, makes one ``VTraceLearner`` step and publishes the
/// parameters to inference.
///
/// Its checkpoint holds tensors `network/<name>` and
/// `optimizer/<slot>/<name>`; the learner's version is the counters'
/// `updates`. Unrolls in flight are not saved: a resumed run starts fresh
/// episodes, as SEED RL's learner does after a restart.
final class VTraceRun: AgentRun {
    let settings: VTraceConfig
    let learner: VTraceLearner
    let policy: ActorCriticInferencePolicy
    let source: UnrollSource
    let context: TrainingContext
    private var intervalStatistics: [VTraceStepStatistics] = []
    private var lags: [Int] = []
    private var published = false

    init(settings: VTraceConfig, context: TrainingContext) throws {
        self.settings = settings
        self.context = context
        var initRandom = RandomGenerator(seed: context.seed, stream: 1)
        func network() -> ActorCritic {
            ActorCritic(observationSize: context.observationSize, observationShape: context.observationShape, head: context.head,
                        settings: context.config.network, using: &initRandom)
        }
        learner = try VTraceLearner(network: network(), observationSize: context.observationSize, settings: settings.learner,
                                    device: context.device)
        policy = try ActorCriticInferencePolicy(network: network(), observationSize: context.observationSize, device: context.device,
                                                seed: context.seed, environmentActions: context.mapping.environmentActions)
        var inference = InferenceSettings(maxBatchSize: settings.inferenceMaxBatch > 0 ? settings.inferenceMaxBatch : context.environmentCount)
        inference.fullBatchSize = settings.inferenceFullBatch > 0 ? settings.inferenceFullBatch : inference.maxBatchSize
        inference.batchTimeout = settings.inferenceTimeoutMs / 1000
        inference.unrollLength = settings.learner.unrollLength
        inference.queueCapacity = settings.queueCapacity
        source = context.inference(policy: policy, settings: inference)
    }

    var updates: Int { learner.version }
    var nonFinite: NonFiniteGuard { learner.nonFinite }

    func iterate(progress: Double) throws -> Int {
        if !published {
            // Before the server starts: inference acts with the (restored) learner's parameters.
            try policy.publish(learner.network, version: learner.version)
            published = true
        }
        let unrolls = try source.take(settings.learner.batchSize)
        lags += unrolls.map { learner.version - $0.oldestVersion }
        let batch = VTraceBatch(unrolls: unrolls, observationSize: context.observationSize, head: context.head,
                                discount: settings.learner.discount, rewardClipping: settings.learner.rewardClipping)
        intervalStatistics.append(try learner.step(batch, progress: progress))
        try policy.publish(learner.network, version: learner.version)
        return 1
    }

    func takeIntervalMetrics(seconds: Double) -> MetricValues {
        defer { intervalStatistics.removeAll(); lags.removeAll() }
        let s = intervalStatistics
        typealias L = LearnerMetrics
        var v = MetricValues()
        v[L.policyLoss] = MetricValues.mean(s, \.policyLoss)
        v[L.valueLoss] = MetricValues.mean(s, \.baselineLoss)
        v[L.entropy] = MetricValues.mean(s, \.entropy)
        v[L.learningRate] = s.last?.learningRate ?? .nan
        v[L.gradientNorm] = MetricValues.mean(s, \.gradientNorm)
        v[L.explainedVariance] = MetricValues.mean(s, \.explainedVariance)
        v[VTraceAgent.meanRho] = MetricValues.mean(s, \.meanRho)
        v[VTraceAgent.clippedRhoFraction] = MetricValues.mean(s, \.clippedRhoFraction)
        v[VTraceAgent.policyLagMean] = MetricValues.mean(lags) { Double($0) }
        v[VTraceAgent.policyLagMax] = Double(lags.max() ?? 0)
        v[L.learnerStepsPerSecond] = Double(s.count) / max(seconds, 1e-9)
        return v
    }

    func progressSuffix(_ values: MetricValues) -> String {
        String(format: "  lag %.1f", values[VTraceAgent.policyLagMean] ?? .nan)
    }

    func checkpointContents() -> (tensors: [(String, Tensor)], metadata: [String: String]) {
        (Checkpoint.tensors(of: learner.network, prefix: "network") + Checkpoint.tensors(of: learner.optimizer), [:])
    }

    func restore(_ file: SafetensorsFile, path: String, counters: TrainingCounters) throws {
        try Checkpoint.loadNetwork(learner.network, from: file, path: path)
        try Checkpoint.loadOptimizer(learner.optimizer, from: file, path: path, device: learner.device)
        learner.version = counters.updates
    }

    func trainedPolicy() -> any TrainedPolicy {
        ActorCriticPolicy(network: learner.network, normalizer: nil, mapping: context.mapping)
    }
}
