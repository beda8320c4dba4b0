import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdRuntime
import HerdTensor

/// Trains IMPALA's V-trace actor-critic the SEED RL way: environments step
/// in worker processes asynchronously, an ``InferenceServer`` acts for
/// whichever are ready with batched inference on its own thread and builds
/// `T + 1`-step unrolls, and this thread takes `B` unrolls at a time, makes
/// one ``VTraceLearner`` step and publishes the parameters to inference.
///
/// The run directory is the PPO trainer's: the resolved config,
/// `metrics.jsonl` (plus policy lag, inference batch and latency, discarded
/// unrolls), TensorBoard events, checkpoints and `summary.json`.
/// SIGINT/SIGTERM end the run after the current learner step with a checkpoint.
public final class VTraceTrainer {
    public let config: TrainConfig
    public let run: RunDirectory
    public let device: Device
    public let display: ProgressDisplay
    /// Path of the `herd` executable that workers run.
    public var herdExecutable = PoolConfiguration.defaultHerdExecutable()
    /// Messages (resume, skipped checkpoints) go here.
    public var log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    public init(config: TrainConfig, run: RunDirectory, device: Device = .cpu, display: ProgressDisplay = ProgressDisplay()) {
        self.config = config
        self.run = run
        self.device = device
        self.display = display
    }

    public func train(resume: Bool) throws -> TrainingSummary {
        let settings = config.vtrace
        try run.create()
        let checkpoints = CheckpointStore(directory: run.checkpoints, keep: config.checkpoint.keep)
        let (pool, mapping) = try makeTrainingPool(config, herdExecutable: herdExecutable)
        defer { pool.close() }
        let head = mapping.head
        let observationSize = pool.observationSize

        var initRandom = RandomGenerator(seed: UInt64(config.seed), stream: 1)
        func network() -> ActorCritic {
            ActorCritic(observationSize: observationSize, observationShape: pool.observationShape, head: head,
                        settings: config.network, using: &initRandom)
        }
        let learner = try VTraceLearner(network: network(), observationSize: observationSize, settings: settings.learner, device: device)
        let policy = try ActorCriticInferencePolicy(network: network(), observationSize: observationSize, device: device,
                                                    seed: UInt64(config.seed), environmentActions: mapping.environmentActions)

        var counters = TrainingCounters()
        if resume {
            let (file, url) = try checkpoints.loadForResume(log: log)
            counters = try VTraceCheckpoint.restore(file, path: url.path, learner: learner)
            log("herd train: resumed from \(url.path) at step \(counters.steps)")
        }
        try policy.publish(learner.network, version: learner.version)
        try writeFileAtomically(Data(ConfigCoder.yaml(config).utf8), to: run.config)
        let metrics = try MetricsLog(url: run.metrics, keepingThrough: resume ? counters.steps : nil)
        let events = try EventFileWriter(directory: run.url, resumingAt: resume ? counters.steps + 1 : nil)

        var inference = InferenceSettings(maxBatchSize: settings.inferenceMaxBatch > 0 ? settings.inferenceMaxBatch : pool.environmentCount)
        inference.fullBatchSize = settings.inferenceFullBatch > 0 ? settings.inferenceFullBatch : inference.maxBatchSize
        inference.batchTimeout = settings.inferenceTimeoutMs / 1000
        inference.unrollLength = settings.learner.unrollLength
        inference.queueCapacity = settings.queueCapacity
        let server = InferenceServer(pool: pool, policy: policy, settings: inference)

        let sessionStart = Date().timeIntervalSince1970
        let sessionStartWall = counters.wallSeconds
        let sessionStartSteps = counters.steps
        let episodesAtStart = counters.episodes
        let totalSteps = config.totalSteps
        func saveCheckpoint() throws -> URL {
            counters.wallSeconds = sessionStartWall + (Date().timeIntervalSince1970 - sessionStart)
            return try checkpoints.save(VTraceCheckpoint.make(learner: learner, counters: counters, config: config), step: counters.steps)
        }

        var tracker = EpisodeTracker(environments: pool.environmentCount)
        var schedule = RunSchedule(config: config, counters: counters, start: sessionStart)
        var intervalStatistics: [VTraceStepStatistics] = []
        var lags: [Int] = []
        var lastCheckpoint: URL?
        var nonFinite = NonFiniteWatch(limit: config.maxConsecutiveNonFinite)
        var stopped = false, finalReturn: Double?
        var waitSeconds = 0.0, updateSeconds = 0.0, evaluationSeconds = 0.0
        device.resetCounters()
        try server.start()
        defer { try? server.stop() }

        training: while counters.steps < totalSteps {
            // B unrolls from the server (waiting is the learner starving for data).
            let waitStart = Date().timeIntervalSince1970
            var unrolls: [Unroll] = []
            while unrolls.count < settings.learner.batchSize {
                if StopSignal.requested { stopped = true; break training }
                if let unroll = server.unrolls.take(timeout: 0.25) {
                    unrolls.append(unroll)
                } else if let error = server.error {
                    throw error
                }
            }
            let updateStart = Date().timeIntervalSince1970
            waitSeconds += updateStart - waitStart
            for unroll in unrolls {
                lags.append(learner.version - unroll.oldestVersion)
                for step in unroll.steps.dropFirst() {
                    tracker.record(index: unroll.environment, reward: Double(step.reward), done: step.terminated || step.truncated)
                }
            }
            let batch = VTraceBatch(unrolls: unrolls, observationSize: observationSize, head: head,
                                    discount: settings.learner.discount, rewardClipping: settings.learner.rewardClipping)
            let progress = Double(counters.steps) / Double(totalSteps)
            intervalStatistics.append(try learner.step(batch, progress: progress))
            try policy.publish(learner.network, version: learner.version)
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
                evaluation = try evaluatePolicy(config, network: learner.network, normalizer: nil, device: device)
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
                let inferenceStatistics = server.statistics
                var learnerValues = TrainingMetrics.averages(intervalStatistics)
                learnerValues["policy_lag_mean"] = lags.isEmpty ? .nan : Double(lags.reduce(0, +)) / Double(lags.count)
                learnerValues["policy_lag_max"] = Double(lags.max() ?? 0)
                learnerValues["inference_batch_mean"] = inferenceStatistics.meanBatchSize
                learnerValues["inference_latency_p50_ms"] = inferenceStatistics.latencyP50 * 1000
                learnerValues["inference_latency_p99_ms"] = inferenceStatistics.latencyP99 * 1000
                learnerValues["unrolls_discarded"] = Double(inferenceStatistics.discardedUnrolls)
                learnerValues["queue_blocked_seconds"] = inferenceStatistics.queueBlockedSeconds
                learnerValues["nonfinite_skipped"] = Double(nonFinite.skipped)
                learnerValues["learner_steps_per_second"] = Double(intervalStatistics.count) / max(interval.seconds, 1e-9)
                let record = TrainingMetrics.record(step: counters.steps, wallSeconds: wall, counters: counters, episodes: episodes,
                                                    learner: learnerValues, stepsPerSecond: rate, evaluation: evaluation,
                                                    device: device, pool: pool)
                try metrics.append(record)
                try events.addScalars(TrainingMetrics.tensorBoardScalars(record), step: counters.steps)
                display.record(ProgressDisplay.line(step: counters.steps, totalSteps: totalSteps, stepsPerSecond: rate,
                                                    meanReturn: episodes?.meanReturn ?? tracker.recentMeanReturn, elapsed: wall)
                               + String(format: "  lag %.1f", learnerValues["policy_lag_mean"]!))
                intervalStatistics.removeAll()
                lags.removeAll()
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
        let s = server.statistics
        try writeTrainingSummary(summary, config: config, run: run, device: device, pool: pool, extra: [
            ("inference_batches", Double(s.batches)), ("inference_batch_mean", s.meanBatchSize),
            ("inference_latency_p50_ms", s.latencyP50 * 1000), ("inference_latency_p99_ms", s.latencyP99 * 1000),
            ("unrolls_completed", Double(s.completedUnrolls)), ("unrolls_discarded", Double(s.discardedUnrolls)),
            ("queue_blocked_seconds", s.queueBlockedSeconds),
        ] + (pool.listenEndpoint == nil ? [] : [
            ("remote_joined", Double(pool.remoteJoined)), ("remote_lost", Double(pool.remoteLost)),
            ("remote_refused", Double(pool.remoteRefused)),
        ]))
        return summary
    }
}
