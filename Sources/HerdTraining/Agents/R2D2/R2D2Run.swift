import Foundation
import HerdAgents
import HerdCore
import HerdRuntime
import HerdTensor

/// An R2D2 run: central inference acts ε-greedily for every environment
/// with the recurrent state it keeps per environment and hands over plain
/// step streams (unrolls without overlap); this run cuts them into
/// overlapping sequences with burn-in prefixes (``SequenceBuilder``),
/// stores them in prioritised replay with priorities from the acting Q
/// values, and learns from sampled batches at `replay_ratio` sequences
/// sampled per sequence stored, publishing the online network to
/// inference after each step.
///
/// Its checkpoint holds tensors `online/<name>`, `target/<name>` and
/// `optimizer/<slot>/<name>` (the learner's version is the counters'
/// `updates`). The replay is not saved (it can hold gigabytes): a resumed
/// run refills it from fresh acting before learning again
/// (`r2d2.min_replay`), as R2D2's own learner does after a restart.
final class R2D2Run: AgentRun {
    let settings: R2D2Config
    let learner: R2D2Learner
    let policy: R2D2InferencePolicy
    let source: UnrollSource
    let context: TrainingContext
    private var builder: SequenceBuilder
    private var replay: SequenceReplay
    private var sampling: RandomGenerator
    private var sampled = 0.0
    private var intervalStatistics: [R2D2StepStatistics] = []
    private var ages: [Int] = []
    private var published = false
    private var learnerSeconds = 0.0

    init(settings r: R2D2Config, context: TrainingContext) throws {
        guard let actions = context.pool.discreteActions else {
            throw RunError.incompatible(path: context.config.environment.name, reason: "R2D2 needs discrete actions; this environment's are continuous")
        }
        settings = r
        self.context = context
        var initRandom = RandomGenerator(seed: context.seed, stream: 1)
        func network() -> R2D2Network {
            R2D2Agent.network(r, torso: context.config.network, observationSize: context.observationSize,
                              observationShape: context.observationShape, actions: actions, using: &initRandom)
        }
        learner = try R2D2Learner(online: network(), target: network(), settings: r.learner, device: context.device)
        policy = try R2D2InferencePolicy(network: network(), device: context.device,
                                         epsilons: apexEpsilons(count: context.environmentCount, base: r.epsilonBase, alpha: r.epsilonAlpha),
                                         seed: context.seed)
        var inference = InferenceSettings(maxBatchSize: r.inferenceMaxBatch > 0 ? r.inferenceMaxBatch : context.environmentCount)
        inference.batchTimeout = r.inferenceTimeoutMs / 1000
        inference.unrollLength = r.unrollLength
        inference.unrollOverlap = 0
        inference.queueCapacity = r.queueCapacity
        source = context.inference(policy: policy, settings: inference)
        builder = SequenceBuilder(environments: context.environmentCount, burnIn: r.learner.burnIn, trainLength: r.learner.sequenceLength,
                                  discount: r.learner.discount, observationSize: context.observationSize, actions: actions,
                                  bootstrapTruncation: r.bootstrapTruncation)
        replay = SequenceReplay(capacity: r.replayCapacity, alpha: r.learner.priorityExponent)
        sampling = RandomGenerator(seed: context.seed, stream: 12)
    }

    var updates: Int { learner.version }
    var nonFinite: NonFiniteGuard { learner.nonFinite }
    var resumeNote: String { "; refilling replay to \(settings.minReplay) sequences before learning" }

    private func store(_ unroll: Unroll) {
        if unroll.fresh { builder.restart(environment: unroll.environment) }
        for step in unroll.steps {
            let acting = ActingStep(observation: step.observation, reward: step.reward, terminated: step.terminated,
                                    truncated: step.truncated, action: Int(step.action.first ?? 0), q: step.behaviour,
                                    state: step.recurrentState, finalObservation: step.finalObservation)
            for var sequence in builder.add(acting, environment: unroll.environment) {
                sequence.insertedAt = learner.version
                replay.add(sequence, priority: learner.initialPriority(sequence))
            }
        }
    }

    func iterate(progress: Double) throws -> Int {
        if !published {
            try policy.publish(learner.online, version: learner.version)
            published = true
        }
        // Data. The learner may sample up to replay_ratio × the sequences
        // stored: above that it waits for acting; well below it, it stops
        // taking unrolls, so the queue fills and acting waits for it.
        let batchSize = settings.learner.batchSize
        while true {
            let allowed = Double(replay.inserted) * settings.replayRatio
            if replay.count >= settings.minReplay && sampled < allowed {
                if sampled >= allowed - Double(4 * batchSize) {
                    while let unroll = try source.next(timeout: 0) { store(unroll) }
                }
                break
            }
            if let unroll = try source.next(timeout: 0.25) { store(unroll) }
            if context.reachedTotalSteps { return 0 }
        }
        let learnerStart = Date().timeIntervalSince1970
        defer { learnerSeconds += Date().timeIntervalSince1970 - learnerStart }
        let batch = replay.sample(batchSize, beta: settings.learner.importanceExponent, using: &sampling)
        let (statistics, priorities) = try learner.step(batch.sequences, weights: batch.weights, progress: progress)
        if !statistics.skipped { replay.update(slots: batch.slots, priorities: priorities) }
        try policy.publish(learner.online, version: learner.version)
        sampled += Double(batchSize)
        intervalStatistics.append(statistics)
        ages += batch.sequences.map { learner.version - 1 - $0.insertedAt }
        return 1
    }

    func takeIntervalMetrics(seconds: Double) -> MetricValues {
        defer { intervalStatistics.removeAll(); ages.removeAll() }
        let s = intervalStatistics
        var v = MetricValues()
        v[LearnerMetrics.valueLoss] = MetricValues.mean(s, \.loss)
        v[R2D2Agent.tdErrorMean] = MetricValues.mean(s, \.meanAbsoluteTDError)
        v[R2D2Agent.qMean] = MetricValues.mean(s, \.meanQ)
        v[LearnerMetrics.gradientNorm] = MetricValues.mean(s, \.gradientNorm)
        v[LearnerMetrics.learningRate] = Double(learner.optimizer.learningRate)
        v[R2D2Agent.replaySize] = Double(replay.count)
        v[R2D2Agent.replayPriorityMean] = replay.meanPriority
        v[R2D2Agent.sequenceAgeMean] = MetricValues.mean(ages) { Double($0) }
        v[LearnerMetrics.learnerStepsPerSecond] = Double(s.count) / max(seconds, 1e-9)
        return v
    }

    func progressSuffix(_ values: MetricValues) -> String { "  replay \(replay.count)  updates \(learner.version)" }

    func checkpointContents() -> (tensors: [(String, Tensor)], metadata: [String: String]) {
        (Checkpoint.tensors(of: learner.online, prefix: "online") + Checkpoint.tensors(of: learner.target, prefix: "target")
            + Checkpoint.tensors(of: learner.optimizer), [:])
    }

    func restore(_ file: SafetensorsFile, path: String, counters: TrainingCounters) throws {
        try Checkpoint.loadNetwork(learner.online, from: file, path: path, prefix: "online")
        try Checkpoint.loadNetwork(learner.target, from: file, path: path, prefix: "target")
        try Checkpoint.loadOptimizer(learner.optimizer, from: file, path: path, device: learner.device)
        learner.version = counters.updates
    }

    func trainedPolicy() -> any TrainedPolicy { QNetworkPolicy(network: learner.online, epsilon: settings.evaluationEpsilon) }

    func finish() throws -> MetricValues {
        var v = MetricValues()
        v[R2D2Agent.replaySize] = Double(replay.count)
        v[R2D2Agent.replayInserted] = Double(replay.inserted)
        v[R2D2Agent.replayPriorityMean] = replay.meanPriority
        v[R2D2Agent.sequencesSampled] = sampled
        v[LearnerMetrics.learnerStepsPerSecond] = Double(learner.version) / max(learnerSeconds, 1e-9)
        return v
    }
}
