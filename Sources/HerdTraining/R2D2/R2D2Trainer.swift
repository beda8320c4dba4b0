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
public final class R2D2Trainer {
    public let config: TrainConfig
    public let run: RunDirectory
    public let device: Device
    public let display: ProgressDisplay
    public var herdExecutable = PoolConfiguration.defaultHerdExecutable()
    public var log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    public init(config: TrainConfig, run: RunDirectory, device: Device = .cpu, display: ProgressDisplay = ProgressDisplay()) {
        self.config = config
        self.run = run
        self.device = device
        self.display = display
    }

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
        try run.create()
        let checkpoints = CheckpointStore(directory: run.checkpoints, keep: config.checkpoint.keep)
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
        var counters = TrainingCounters()
        if resume {
            let (file, url) = try checkpoints.loadForResume(log: log)
            counters = try R2D2Checkpoint.restore(file, path: url.path, learner: learner)
            log("herd train: resumed from \(url.path) at step \(counters.steps); refilling replay to \(r.minReplay) sequences before learning")
        }
        try policy.publish(learner.online, version: learner.version)
        try writeFileAtomically(Data(ConfigCoder.yaml(config).utf8), to: run.config)
        let metrics = try MetricsLog(url: run.metrics, keepingThrough: resume ? counters.steps : nil)
        let events = try EventFileWriter(directory: run.url, resumingAt: resume ? counters.steps + 1 : nil)

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

        let sessionStart = Date().timeIntervalSince1970
        let sessionStartWall = counters.wallSeconds
        let sessionStartSteps = counters.steps
        let episodesAtStart = counters.episodes
        let totalSteps = config.totalSteps
        func saveCheckpoint() throws -> URL {
            counters.wallSeconds = sessionStartWall + (Date().timeIntervalSince1970 - sessionStart)
            return try checkpoints.save(R2D2Checkpoint.make(learner: learner, counters: counters, config: config), step: counters.steps)
        }

        var tracker = EpisodeTracker(environments: pool.environmentCount)
        var schedule = RunSchedule(config: config, counters: counters, start: sessionStart)
        var intervalStatistics: [R2D2StepStatistics] = []
        var ages: [Int] = []
        var lastCheckpoint: URL?
        var nonFinite = NonFiniteWatch(limit: config.maxConsecutiveNonFinite)
        var stopped = false, finalReturn: Double?
        var waitSeconds = 0.0, updateSeconds = 0.0, evaluationSeconds = 0.0
        device.resetCounters()
        try server.start()
        defer { try? server.stop() }

        func store(_ unroll: Unroll) {
            if unroll.fresh { builder.restart(environment: unroll.environment) }
            for step in unroll.steps {
                tracker.record(index: unroll.environment, reward: Double(step.reward), done: step.terminated || step.truncated)
                let acting = ActingStep(observation: step.observation, reward: step.reward, terminated: step.terminated,
                                        truncated: step.truncated, action: Int(step.action.first ?? 0), q: step.behaviour,
                                        state: step.recurrentState)
                for var sequence in builder.add(acting, environment: unroll.environment) {
                    sequence.insertedAt = learner.version
                    replay.add(sequence, priority: learner.initialPriority(sequence))
                }
            }
        }

        training: while counters.steps < totalSteps {
            // Data. The learner may sample up to replay_ratio × the sequences
            // stored: above that it waits for acting; well below it, it stops
            // taking unrolls, so the queue fills and acting waits for it.
            let waitStart = Date().timeIntervalSince1970
            while true {
                if StopSignal.requested { stopped = true; break training }
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
                counters.steps = sessionStartSteps + server.environmentSteps
                if counters.steps >= totalSteps { break training }
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
            counters.steps = sessionStartSteps + server.environmentSteps
            counters.updates = learner.version
            counters.episodes = episodesAtStart + tracker.totalEpisodes
            try nonFinite.check(learner.nonFinite, learnerStep: learner.version, environmentStep: counters.steps, save: saveCheckpoint, log: log)

            let now = Date().timeIntervalSince1970
            let sessionRate = Double(counters.steps - sessionStartSteps) / max(now - sessionStart, 1e-9)
            display.live(ProgressDisplay.line(step: counters.steps, totalSteps: totalSteps, stepsPerSecond: sessionRate,
                                              meanReturn: tracker.recentMeanReturn, elapsed: sessionStartWall + now - sessionStart))
            var evaluation: EvaluationResult?
            if schedule.evaluationDue(counters.steps) {
                let evaluationStart = Date().timeIntervalSince1970
                evaluation = try evaluateR2D2(config, network: learner.online, device: device)
                evaluationSeconds += Date().timeIntervalSince1970 - evaluationStart
                if let solved = schedule.recordEvaluation(evaluation!, counters: &counters, wall: sessionStartWall + Date().timeIntervalSince1970 - sessionStart) {
                    display.record(solved, always: true)
                }
            }
            if schedule.logDue(counters.steps) || evaluation != nil {
                let wall = sessionStartWall + now - sessionStart
                let interval = schedule.takeLogInterval(step: counters.steps, now: now)
                let rate = Double(interval.steps) / max(interval.seconds, 1e-9)
                let episodes = tracker.drain()
                if let episodes { finalReturn = episodes.meanReturn }
                let s = server.statistics
                func mean(_ f: (R2D2StepStatistics) -> Double) -> Double {
                    intervalStatistics.isEmpty ? .nan : intervalStatistics.map(f).reduce(0, +) / Double(intervalStatistics.count)
                }
                let values: [String: Double] = [
                    "value_loss": mean(\.loss), "td_error_mean": mean(\.meanAbsoluteTDError), "q_mean": mean(\.meanQ),
                    "gradient_norm": mean(\.gradientNorm), "learning_rate": Double(settings.learningRate),
                    "replay_size": Double(replay.count), "replay_priority_mean": replay.meanPriority,
                    "sequence_age_mean": ages.isEmpty ? .nan : Double(ages.reduce(0, +)) / Double(ages.count),
                    "learner_steps_per_second": Double(intervalStatistics.count) / max(interval.seconds, 1e-9),
                    "nonfinite_skipped": Double(nonFinite.skipped),
                    "inference_batch_mean": s.meanBatchSize, "inference_latency_p50_ms": s.latencyP50 * 1000,
                    "inference_latency_p99_ms": s.latencyP99 * 1000, "unrolls_discarded": Double(s.discardedUnrolls),
                    "queue_blocked_seconds": s.queueBlockedSeconds,
                ]
                let record = TrainingMetrics.record(step: counters.steps, wallSeconds: wall, counters: counters, episodes: episodes,
                                                    learner: values, stepsPerSecond: rate, evaluation: evaluation, device: device, pool: pool)
                try metrics.append(record)
                try events.addScalars(TrainingMetrics.tensorBoardScalars(record), step: counters.steps)
                display.record(ProgressDisplay.line(step: counters.steps, totalSteps: totalSteps, stepsPerSecond: rate,
                                                    meanReturn: episodes?.meanReturn ?? tracker.recentMeanReturn, elapsed: wall)
                               + "  replay \(replay.count)  updates \(learner.version)")
                intervalStatistics.removeAll()
                ages.removeAll()
            }
            if schedule.checkpointDue(counters.steps) { lastCheckpoint = try saveCheckpoint() }
            if config.evaluation.stopAtTarget, counters.solvedAtStep != nil { break }
        }
        try server.stop()
        display.finish()
        if stopped { display.record("stopping: signal received; writing a checkpoint at step \(counters.steps)", always: true) }
        if lastCheckpoint == nil || schedule.lastCheckpointStep != counters.steps || stopped {
            lastCheckpoint = try saveCheckpoint()
        }
        let summary = TrainingSummary(counters: counters, stepsPerSecond: Double(counters.steps) / max(counters.wallSeconds, 1e-9),
                                      finalReturnMean: finalReturn ?? tracker.recentMeanReturn, stoppedBySignal: stopped,
                                      checkpoint: lastCheckpoint, collectSeconds: waitSeconds,
                                      updateSeconds: updateSeconds, evaluationSeconds: evaluationSeconds)
        try writeTrainingSummary(summary, config: config, run: run, device: device, pool: pool, extra: [
            ("replay_size", Double(replay.count)), ("replay_inserted", Double(replay.inserted)),
            ("replay_priority_mean", replay.meanPriority), ("sequences_sampled", sampled),
            ("learner_steps_per_second", Double(learner.version) / max(updateSeconds, 1e-9)),
        ])
        return summary
    }
}
