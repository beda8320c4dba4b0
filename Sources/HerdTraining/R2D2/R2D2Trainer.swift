import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdRuntime
import HerdTensor

/// Trains R2D2 (Kapturowski et al. 2019) on central inference: the
/// ``InferenceServer`` acts ε-greedily for every environment with the
/// recurrent state it keeps per environment and hands over plain step
/// streams (unrolls without overlap); this thread cuts them into
/// overlapping sequences with burn-in prefixes (``SequenceBuilder``), stores
/// them in prioritised replay with priorities from the acting Q values,
/// and learns from sampled batches at `replay_ratio` sequences sampled per
/// sequence stored, publishing the online network to inference after each
/// step. The run directory is the other agents'.
public final class R2D2Trainer: Trainer {
    /// The Q-network a config describes.
    static func network(_ config: TrainConfig, observationSize: Int, observationShape: [Int]?, actions: Int,
                        using rng: inout RandomGenerator) -> R2D2Network {
        var settings = R2D2NetworkSettings()
        settings.torso = config.network
        settings.lstmSize = config.r2d2.lstmSize
        settings.feedForward = config.r2d2.feedForward
        settings.dueling = config.r2d2.dueling
        settings.previousInputs = config.r2d2.previousInputs
        return R2D2Network(observationSize: observationSize, observationShape: observationShape, actions: actions,
                           settings: settings, using: &rng)
    }

    public func train(resume: Bool) throws -> TrainingSummary {
        let r = config.r2d2, settings = r.learner
        let (pool, _) = try makeTrainingPool(config, herdExecutable: herdExecutable)
        defer { pool.close() }
        guard let actions = pool.discreteActions else {
            throw RunError.incompatible(path: config.environment.name, reason: "R2D2 needs discrete actions; this environment's are continuous")
        }
        let observationSize = pool.observationSize
        var initRandom = RandomGenerator(seed: UInt64(config.seed), stream: 1)
        func network() -> R2D2Network {
            Self.network(config, observationSize: observationSize, observationShape: pool.observationShape, actions: actions, using: &initRandom)
        }
        let learner = try R2D2Learner(online: network(), target: network(), settings: settings, device: device)
        let policy = try R2D2InferencePolicy(network: network(), device: device,
                                             epsilons: apexEpsilons(count: pool.environmentCount, base: r.epsilonBase, alpha: r.epsilonAlpha),
                                             seed: UInt64(config.seed))
        let session = try TrainingSession(
            config: config, run: run, device: device, display: display, environments: pool.environmentCount, log: log,
            resume: resume ? { file, url in try R2D2Checkpoint.restore(file, path: url.path, learner: learner) } : nil,
            resumeNote: "; refilling replay to \(r.minReplay) sequences before learning",
            checkpoint: { [config] counters in R2D2Checkpoint.make(learner: learner, counters: counters, config: config) })
        try policy.publish(learner.online, version: learner.version)

        var inference = InferenceSettings(maxBatchSize: r.inferenceMaxBatch > 0 ? r.inferenceMaxBatch : pool.environmentCount)
        inference.batchTimeout = r.inferenceTimeoutMs / 1000
        inference.unrollLength = r.unrollLength
        inference.unrollOverlap = 0
        inference.queueCapacity = r.queueCapacity
        let server = InferenceServer(pool: pool, policy: policy, settings: inference)

        var builder = SequenceBuilder(environments: pool.environmentCount, burnIn: settings.burnIn, trainLength: settings.sequenceLength,
                                      discount: settings.discount, observationSize: observationSize, actions: actions)
        var replay = SequenceReplay(capacity: r.replayCapacity, alpha: settings.priorityExponent)
        var sampling = RandomGenerator(seed: UInt64(config.seed), stream: 12)
        var sampled = 0.0

        let totalSteps = config.totalSteps
        var intervalStatistics: [R2D2StepStatistics] = []
        var ages: [Int] = []
        var waitSeconds = 0.0, updateSeconds = 0.0
        try server.start()
        defer { try? server.stop() }

        func store(_ unroll: Unroll) {
            if unroll.fresh { builder.restart(environment: unroll.environment) }
            for step in unroll.steps {
                session.tracker.record(index: unroll.environment, reward: Double(step.reward), done: step.terminated || step.truncated)
                let acting = ActingStep(observation: step.observation, reward: step.reward, terminated: step.terminated,
                                        truncated: step.truncated, action: Int(step.action.first ?? 0), q: step.behaviour,
                                        state: step.recurrentState)
                for var sequence in builder.add(acting, environment: unroll.environment) {
                    sequence.insertedAt = learner.version
                    replay.add(sequence, priority: learner.initialPriority(sequence))
                }
            }
        }

        training: while session.counters.steps < totalSteps {
            // Data. The learner may sample up to replay_ratio × the sequences
            // stored: above that it waits for acting; well below it, it stops
            // taking unrolls, so the queue fills and acting waits for it.
            let waitStart = Date().timeIntervalSince1970
            while true {
                if StopSignal.requested { session.stopped = true; break training }
                let allowed = Double(replay.inserted) * r.replayRatio
                if replay.count >= r.minReplay && sampled < allowed {
                    if sampled >= allowed - Double(4 * settings.batchSize) {
                        while let unroll = server.unrolls.take(timeout: 0) { store(unroll) }
                    }
                    break
                }
                if let unroll = server.unrolls.take(timeout: 0.25) {
                    store(unroll)
                } else if let error = server.error {
                    throw error
                }
                session.counters.steps = session.stepsAtStart + server.environmentSteps
                if session.counters.steps >= totalSteps { break training }
            }
            let updateStart = Date().timeIntervalSince1970
            waitSeconds += updateStart - waitStart
            do {
                let batch = replay.sample(settings.batchSize, beta: settings.importanceExponent, using: &sampling)
                let (statistics, priorities) = try learner.step(batch.sequences, weights: batch.weights)
                if !statistics.skipped { replay.update(slots: batch.slots, priorities: priorities) }
                try policy.publish(learner.online, version: learner.version)
                sampled += Double(settings.batchSize)
                intervalStatistics.append(statistics)
                ages += batch.sequences.map { learner.version - 1 - $0.insertedAt }
            }
            updateSeconds += Date().timeIntervalSince1970 - updateStart
            session.counters.steps = session.stepsAtStart + server.environmentSteps
            session.counters.updates = learner.version
            let after = try session.afterStep(
                learner: learner.nonFinite, learnerStep: learner.version, pool: pool,
                evaluate: { try evaluateR2D2(config, network: learner.online, device: device) },
                values: { seconds in
                    let s = server.statistics
                    func mean(_ f: (R2D2StepStatistics) -> Double) -> Double {
                        intervalStatistics.isEmpty ? .nan : intervalStatistics.map(f).reduce(0, +) / Double(intervalStatistics.count)
                    }
                    return [
                        "value_loss": mean(\.loss), "td_error_mean": mean(\.meanAbsoluteTDError), "q_mean": mean(\.meanQ),
                        "gradient_norm": mean(\.gradientNorm), "learning_rate": Double(settings.learningRate),
                        "replay_size": Double(replay.count), "replay_priority_mean": replay.meanPriority,
                        "sequence_age_mean": ages.isEmpty ? .nan : Double(ages.reduce(0, +)) / Double(ages.count),
                        "learner_steps_per_second": Double(intervalStatistics.count) / max(seconds, 1e-9),
                        "inference_batch_mean": s.meanBatchSize, "inference_latency_p50_ms": s.latencyP50 * 1000,
                        "inference_latency_p99_ms": s.latencyP99 * 1000, "unrolls_discarded": Double(s.discardedUnrolls),
                        "queue_blocked_seconds": s.queueBlockedSeconds,
                    ]
                },
                suffix: { _ in "  replay \(replay.count)  updates \(learner.version)" })
            if after.logged {
                intervalStatistics.removeAll()
                ages.removeAll()
            }
            if after.stop { break }
        }
        try server.stop()
        return try session.finish(pool: pool, collectSeconds: waitSeconds, updateSeconds: updateSeconds, extra: [
            ("replay_size", Double(replay.count)), ("replay_inserted", Double(replay.inserted)),
            ("replay_priority_mean", replay.meanPriority), ("sequences_sampled", sampled),
            ("learner_steps_per_second", Double(learner.version) / max(updateSeconds, 1e-9)),
        ])
    }
}
