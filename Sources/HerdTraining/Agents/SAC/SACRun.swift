import Foundation
import HerdAgents
import HerdCore
import HerdRuntime
import HerdTensor

/// A SAC run. Each iteration steps every environment once — with uniform
/// random actions until `learning_starts` environment steps, then with the
/// actor's samples — and stores the transitions in the replay (the next
/// observation of an ended episode is its final one; only a termination
/// stops bootstrapping, a time limit does not). Every `train_freq` steps
/// of each environment it makes `gradient_steps` ``SACLearner`` updates
/// on uniform samples.
///
/// Its checkpoint holds tensors `actor/…`, `q1/…`, `q2/…`, `q1_target/…`,
/// `q2_target/…`, `log_alpha` and the three optimisers' state, and the
/// learner's RNG (`herd.random`). The replay is not saved: a resumed run
/// refills it to `learning_starts` (acting with its policy) before learning.
final class SACRun: AgentRun {
    let settings: SACSettings
    let learner: SACLearner
    let source: LockstepSource
    let context: TrainingContext
    private var replay: ReplayBuffer
    private var sampling: RandomGenerator
    private var exploration: RandomGenerator
    private var stepsSinceUpdate = 0
    private var stepsSinceNoise = 0
    private var started = false
    private var intervalStatistics: [SACStepStatistics] = []

    init(settings: SACSettings, context: TrainingContext) throws {
        guard context.pool.discreteActions == nil else {
            throw RunError.incompatible(path: context.config.environment.name, reason: "SAC needs continuous (Box) actions; this environment's are discrete")
        }
        guard context.mapping.hasFiniteBounds else {
            throw RunError.incompatible(path: context.config.environment.name,
                                        reason: "SAC maps its tanh-squashed actions onto the Box bounds, and this environment's are not known "
                                            + "here (a gymnasium: environment: the bridge does not report them yet) or not finite")
        }
        self.settings = settings
        self.context = context
        source = context.lockstep()
        learner = try SACLearner(observationSize: context.observationSize, actionSize: context.pool.actionSize, settings: settings,
                                 device: context.device, seed: context.seed)
        replay = ReplayBuffer(capacity: settings.bufferSize, observationSize: context.observationSize, actionSize: context.pool.actionSize)
        sampling = RandomGenerator(seed: context.seed, stream: 12)
        exploration = RandomGenerator(seed: context.seed, stream: 13)
    }

    var updates: Int { learner.updates }
    var nonFinite: NonFiniteGuard { learner.nonFinite }
    var resumeNote: String { "; refilling replay to \(max(settings.learningStarts, 1)) transitions before learning" }

    func iterate(progress: Double) throws -> Int {
        if !started {
            try source.reset()
            started = true
        }
        // SAC's MLPs and replay work in floats (its environments send floats).
        let observations = try source.observations().floatValues
        let rows = source.batchSize, size = context.observationSize, actionSize = context.pool.actionSize
        if settings.useSDE, settings.sdeSampleFrequency > 0, stepsSinceNoise >= settings.sdeSampleFrequency {
            try learner.resetActingNoise()
            stepsSinceNoise = 0
        }
        stepsSinceNoise += 1
        let actions = context.environmentSteps < settings.learningStarts
            ? (0..<(rows * actionSize)).map { _ in Float(exploration.nextUniform() * 2 - 1) }
            : try learner.act(observations)
        let batch = try source.step(context.mapping.environmentActions(actions))
        store(observations: observations, actions: actions, batch: batch, rows: rows, size: size, actionSize: actionSize)

        stepsSinceUpdate += 1
        guard stepsSinceUpdate >= settings.trainFrequency, replay.count >= max(settings.learningStarts, 1) else { return 0 }
        stepsSinceUpdate = 0
        for _ in 0..<settings.gradientSteps {
            intervalStatistics.append(try learner.update(replay.sample(settings.batchSize, using: &sampling)))
        }
        // gSDE with sde_sample_freq −1: a new noise matrix for the next round of acting.
        if settings.useSDE, settings.sdeSampleFrequency == -1 { try learner.resetActingNoise() }
        return settings.gradientSteps
    }

    /// The step's transitions, except those of environments whose worker
    /// was replaced (their rows report a cut, not an action's outcome).
    private func store(observations: [Float], actions: [Float], batch: Batch, rows: Int, size: Int, actionSize: Int) {
        var o: [Float] = [], a: [Float] = [], r: [Float] = [], next: [Float] = [], terminated: [Bool] = []
        let current = batch.observations.floatValues
        for (row, id) in batch.environmentIDs.enumerated() where !batch.restartedEnvironments.contains(id) {
            o += observations[(row * size)..<((row + 1) * size)]
            a += actions[(row * actionSize)..<((row + 1) * actionSize)]
            r.append(Float(batch.rewards[row]))
            if let final = batch.finalObservations[id] {
                next += final.floatValues
            } else {
                next += current[(row * size)..<((row + 1) * size)]
            }
            terminated.append(batch.terminated[row])
        }
        if !r.isEmpty { replay.add(observations: o, actions: a, rewards: r, nextObservations: next, terminations: terminated) }
    }

    func takeIntervalMetrics(seconds: Double) -> MetricValues {
        defer { intervalStatistics.removeAll() }
        let s = intervalStatistics.filter { !$0.skipped }
        var v = MetricValues()
        v[SACAgent.criticLoss] = MetricValues.mean(s, \.criticLoss)
        v[SACAgent.actorLoss] = MetricValues.mean(s, \.actorLoss)
        v[SACAgent.alpha] = s.last?.alpha ?? .nan
        v[LearnerMetrics.entropy] = MetricValues.mean(s, \.entropy)
        v[SACAgent.qMean] = MetricValues.mean(s, \.meanQ)
        v[LearnerMetrics.gradientNorm] = MetricValues.mean(s, \.criticGradientNorm)
        v[SACAgent.actorGradientNorm] = MetricValues.mean(s, \.actorGradientNorm)
        v[SACAgent.replaySize] = Double(replay.count)
        v[LearnerMetrics.learnerStepsPerSecond] = Double(intervalStatistics.count) / max(seconds, 1e-9)
        return v
    }

    func progressSuffix(_ values: MetricValues) -> String {
        String(format: "  α %.3f  replay %d", values[SACAgent.alpha] ?? .nan, replay.count)
    }

    func checkpointContents() -> (tensors: [(String, Tensor)], metadata: [String: String]) {
        var tensors = Checkpoint.tensors(of: learner.actor, prefix: "actor") + Checkpoint.tensors(of: learner.q1, prefix: "q1")
            + Checkpoint.tensors(of: learner.q2, prefix: "q2") + Checkpoint.tensors(of: learner.q1Target, prefix: "q1_target")
            + Checkpoint.tensors(of: learner.q2Target, prefix: "q2_target")
            + Checkpoint.tensors(of: learner.actorOptimizer, prefix: "actor_optimizer")
            + Checkpoint.tensors(of: learner.criticOptimizer, prefix: "critic_optimizer")
        if let logAlpha = learner.logAlpha { tensors.append(("log_alpha", logAlpha)) }
        if let alphaOptimizer = learner.alphaOptimizer { tensors += Checkpoint.tensors(of: alphaOptimizer, prefix: "alpha_optimizer") }
        return (tensors, ["herd.random": learner.random.state.map { String($0, radix: 16) }.joined(separator: " ")])
    }

    func restore(_ file: SafetensorsFile, path: String, counters: TrainingCounters) throws {
        for (layer, prefix) in [(learner.actor, "actor"), (learner.q1, "q1"), (learner.q2, "q2"), (learner.q1Target, "q1_target"),
                                (learner.q2Target, "q2_target")] as [(Layer, String)] {
            try Checkpoint.loadNetwork(layer, from: file, path: path, prefix: prefix)
        }
        let device = learner.device
        try Checkpoint.loadOptimizer(learner.actorOptimizer, from: file, path: path, device: device, prefix: "actor_optimizer")
        try Checkpoint.loadOptimizer(learner.criticOptimizer, from: file, path: path, device: device, prefix: "critic_optimizer")
        if let logAlpha = learner.logAlpha, let alphaOptimizer = learner.alphaOptimizer {
            guard let saved = file.dictionary["log_alpha"], saved.shape == logAlpha.shape else {
                throw RunError.incompatible(path: path, reason: "log_alpha is missing (a checkpoint of a fixed α?)")
            }
            logAlpha.assign(try saved.to(device))
            try Checkpoint.loadOptimizer(alphaOptimizer, from: file, path: path, device: device, prefix: "alpha_optimizer")
        }
        let words = (file.metadata["herd.random"] ?? "").split(separator: " ").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4 else { throw RunError.incompatible(path: path, reason: "RNG state missing") }
        learner.random = RandomGenerator(state: words)
        learner.updates = counters.updates
    }

    func trainedPolicy() -> any TrainedPolicy { SACPolicy(actor: learner.actor, mapping: context.mapping) }

    func finish() throws -> MetricValues {
        var v = MetricValues()
        v[SACAgent.replaySize] = Double(replay.count)
        return v
    }
}

extension ActionMapping {
    /// Whether every action dimension has finite Box bounds to map [−1, 1] onto.
    var hasFiniteBounds: Bool {
        guard case let .gaussian(d) = head else { return false }
        return low.count == d && zip(low, high).allSatisfy { $0.isFinite && $1.isFinite }
    }
}
