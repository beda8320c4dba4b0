import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

/// A PPO run. Each iteration collects `T = steps_per_env` steps from all
/// `B` environments into a ``Rollout`` and makes one
/// ``PPOLearner/update(_:progress:)``. Episodes cut by a time limit
/// bootstrap from the value of their final observation.
///
/// Its checkpoint holds tensors `network/<name>` and
/// `optimizer/<slot>/<name>`, and metadata `herd.random` (the learner's
/// RNG, hex words), `herd.kl_penalty`, `herd.observation_normalizer` and
/// `herd.reward_normalizer` (JSON, exact doubles).
final class PPORun: AgentRun {
    static let observationNormalizerKey = "herd.observation_normalizer"
    static let rewardNormalizerKey = "herd.reward_normalizer"

    /// BatchPPO's observation normaliser: centred, scaled, clipped to ±5.
    static func observationNormalizer(size: Int) -> StreamingNormalizer {
        StreamingNormalizer(size: size, center: true, scale: true, clip: 5)
    }

    /// Its reward scaling: by the running return's spread, clipped to ±10.
    static func rewardNormalizer() -> StreamingNormalizer { StreamingNormalizer(size: 1, center: false, scale: true, clip: 10) }

    let settings: PPOSettings
    let learner: PPOLearner
    let source: LockstepSource
    let context: TrainingContext
    private var observationNormalizer: StreamingNormalizer?
    private var rewardNormalizer: StreamingNormalizer?
    private var intervalStatistics: [PPOUpdateStatistics] = []
    private var started = false

    init(settings: PPOSettings, context: TrainingContext) throws {
        self.settings = settings
        self.context = context
        source = context.lockstep()
        learner = try PPOLearner(observationSize: context.observationSize, observationShape: context.observationShape, head: context.head,
                                 network: context.config.network, settings: settings, device: context.device, seed: context.seed)
        observationNormalizer = settings.normalizeObservations
            ? Self.observationNormalizer(size: context.observationSize) : nil
        rewardNormalizer = settings.normalizeRewards ? Self.rewardNormalizer() : nil
    }

    var updates: Int { learner.updates }
    var nonFinite: NonFiniteGuard { learner.nonFinite }

    func iterate(progress: Double) throws -> Int {
        if !started {
            try source.reset()
            started = true
        }
        let batchSize = source.batchSize, size = context.observationSize, gamma = settings.discount
        var rollout = Rollout(steps: settings.stepsPerEnvironment, batchSize: batchSize, observationSize: size, head: context.head)
        for _ in 0..<settings.stepsPerEnvironment {
            let observations = normalized(try source.observations(), update: true)
            let policy = try learner.act(observations)
            let batch = try source.step(context.mapping.environmentActions(policy.actions))
            rollout.observations += observations
            rollout.actions += policy.actions
            rollout.logProbabilities += policy.logProbabilities
            rollout.distributionParameters += policy.distributionParameters
            rollout.values += policy.values
            // Rewards: scaled if enabled; time-limit cuts bootstrap from v(final observation).
            var rewards = batch.rewards.map { scaled(Float($0)) }
            let cut = (0..<batchSize).filter { batch.truncated[$0] && !batch.terminated[$0] && batch.finalObservations[$0] != nil }
            if !cut.isEmpty {
                var finals = ObservationRows()
                for i in cut { finals += batch.finalObservations[i]! }
                finals = normalized(finals, update: false)
                for (value, i) in zip(try learner.values(finals), cut) { rewards[i] += gamma * value }
            }
            rollout.rewards += rewards
            for i in 0..<batchSize { rollout.discounts.append(batch.terminated[i] || batch.truncated[i] ? 0 : gamma) }
        }
        rollout.values += try learner.values(normalized(source.current.observations, update: false))
        intervalStatistics.append(try learner.update(rollout, progress: progress))
        return 1
    }

    /// Observations normalised with the estimates so far; with `update`,
    /// the estimates then take in the raw rows (BatchPPO's order).
    /// Normalised rows are floats; without a normaliser the rows stay as
    /// the pool gave them (bytes for u8 pixels).
    private func normalized(_ input: ObservationRows, update: Bool) -> ObservationRows {
        guard var normalizer = observationNormalizer else { return input }
        let observations = input.floatValues
        let size = context.observationSize, rows = observations.count / size
        var out = observations
        out.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<rows {
                normalizer.transform(UnsafeMutableBufferPointer(rebasing: buffer[(row * size)..<((row + 1) * size)]))
            }
        }
        if update {
            observations.withUnsafeBufferPointer { buffer in
                for row in 0..<rows {
                    normalizer.update(UnsafeBufferPointer(rebasing: buffer[(row * size)..<((row + 1) * size)]))
                }
            }
            observationNormalizer = normalizer
        }
        return ObservationRows(out)
    }

    /// A reward scaled by the running return statistics (when enabled), which it updates.
    private func scaled(_ reward: Float) -> Float {
        guard var normalizer = rewardNormalizer else { return reward }
        var r = reward
        withUnsafeMutablePointer(to: &r) { p in
            let buffer = UnsafeMutableBufferPointer(start: p, count: 1)
            normalizer.update(UnsafeBufferPointer(buffer))
            normalizer.transform(buffer)
        }
        rewardNormalizer = normalizer
        return r
    }

    func takeIntervalMetrics(seconds: Double) -> MetricValues {
        defer { intervalStatistics.removeAll() }
        let s = intervalStatistics
        typealias L = LearnerMetrics
        var v = MetricValues()
        v[L.policyLoss] = MetricValues.mean(s, \.policyLoss)
        v[L.valueLoss] = MetricValues.mean(s, \.valueLoss)
        v[L.entropy] = MetricValues.mean(s, \.entropy)
        v[PPOAgent.kl] = MetricValues.mean(s, \.kl)
        v[PPOAgent.clipFraction] = MetricValues.mean(s, \.clipFraction)
        v[PPOAgent.klPenalty] = s.last?.klPenalty ?? .nan
        v[L.learningRate] = s.last?.learningRate ?? .nan
        v[L.gradientNorm] = MetricValues.mean(s, \.gradientNorm)
        v[L.explainedVariance] = MetricValues.mean(s, \.explainedVariance)
        return v
    }

    func checkpointContents() -> (tensors: [(String, Tensor)], metadata: [String: String]) {
        var metadata = [
            "herd.random": learner.random.state.map { String($0, radix: 16) }.joined(separator: " "),
            "herd.kl_penalty": "\(learner.klController.penalty)",
        ]
        if let observationNormalizer { metadata[Self.observationNormalizerKey] = encodeJSON(observationNormalizer.state) }
        if let rewardNormalizer { metadata[Self.rewardNormalizerKey] = encodeJSON(rewardNormalizer.state) }
        return (Checkpoint.tensors(of: learner.network, prefix: "network") + Checkpoint.tensors(of: learner.optimizer), metadata)
    }

    func restore(_ file: SafetensorsFile, path: String, counters: TrainingCounters) throws {
        try Checkpoint.loadNetwork(learner.network, from: file, path: path)
        try Checkpoint.loadOptimizer(learner.optimizer, from: file, path: path, device: learner.device)
        let words = (file.metadata["herd.random"] ?? "").split(separator: " ").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4, let penalty = file.metadata["herd.kl_penalty"].flatMap(Float.init) else {
            throw RunError.incompatible(path: path, reason: "RNG state or KL penalty missing")
        }
        learner.random = RandomGenerator(state: words)
        learner.klController.restore(penalty: penalty)
        learner.updates = counters.updates
        if observationNormalizer != nil {
            guard let restored = try Checkpoint.normalizer(Self.observationNormalizerKey, of: file,
                                                           restoringInto: Self.observationNormalizer(size: context.observationSize), path: path) else {
                throw RunError.incompatible(path: path, reason: "observation normaliser state missing")
            }
            observationNormalizer = restored
        }
        if rewardNormalizer != nil {
            guard let restored = try Checkpoint.normalizer(Self.rewardNormalizerKey, of: file, restoringInto: Self.rewardNormalizer(), path: path) else {
                throw RunError.incompatible(path: path, reason: "reward normaliser state missing")
            }
            rewardNormalizer = restored
        }
    }

    func trainedPolicy() -> any TrainedPolicy {
        ActorCriticPolicy(network: learner.network, normalizer: observationNormalizer, mapping: context.mapping)
    }
}
