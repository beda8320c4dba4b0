import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdRuntime
import HerdTensor

/// What `herd train` reports at the end (also written to `summary.json`).
public struct TrainingSummary: Sendable {
    public var counters: TrainingCounters
    /// Environment steps per wall-clock second of training (across resumes),
    /// including inference, environment stepping and updates.
    public var stepsPerSecond: Double
    public var finalReturnMean: Double?
    public var stoppedBySignal: Bool
    public var checkpoint: URL?
    /// This session's wall-clock split: collecting rollouts (acting and
    /// stepping), PPO updates, evaluations.
    public var collectSeconds = 0.0
    public var updateSeconds = 0.0
    public var evaluationSeconds = 0.0
}

/// Trains PPO with environments in worker processes stepped in lockstep
/// (BatchPPO's mode), writing the run directory as it goes.
///
/// Each iteration collects `T = steps_per_env` steps from all `B`
/// environments into a ``Rollout`` and makes one ``PPOLearner/update(_:progress:)``.
/// Episodes cut by a time limit bootstrap from the value of their final
/// observation. SIGINT/SIGTERM (``StopSignal``) end the run at the next step:
/// the unfinished rollout is dropped, a checkpoint of the last update is
/// written, and `train` returns normally.
public final class PPOTrainer {
    public let config: TrainConfig
    public let run: RunDirectory
    public let device: Device
    public let display: ProgressDisplay
    /// Path of the `herd` executable that workers run.
    public var herdExecutable = PoolConfiguration.defaultHerdExecutable()
    /// Messages (resume, skipped checkpoints, evaluations) go here.
    public var log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }

    public init(config: TrainConfig, run: RunDirectory, device: Device = .cpu, display: ProgressDisplay = ProgressDisplay()) {
        self.config = config
        self.run = run
        self.device = device
        self.display = display
    }

    public func train(resume: Bool) throws -> TrainingSummary {
        let settings = config.ppo
        try run.create()
        let checkpoints = CheckpointStore(directory: run.checkpoints, keep: config.checkpoint.keep)

        let (pool, mapping) = try makeTrainingPool(config, herdExecutable: herdExecutable)
        defer { pool.close() }
        let batchSize = pool.environmentCount
        let observationSize = pool.observationSize
        let head = mapping.head

        let learner = try PPOLearner(observationSize: observationSize, observationShape: pool.observationShape, head: head, network: config.network,
                                     settings: settings, device: device, seed: UInt64(config.seed))
        var observationNormalizer = settings.normalizeObservations
            ? StreamingNormalizer(size: observationSize, center: true, scale: true, clip: 5) : nil
        var rewardNormalizer = settings.normalizeRewards ? StreamingNormalizer(size: 1, center: false, scale: true, clip: 10) : nil

        var counters = TrainingCounters()
        if resume {
            let (file, url) = try checkpoints.loadForResume(log: log)
            counters = try PPOCheckpoint.restore(file, path: url.path, learner: learner,
                                                 observationNormalizer: &observationNormalizer, rewardNormalizer: &rewardNormalizer)
            log("herd train: resumed from \(url.path) at step \(counters.steps)")
        }
        try writeFileAtomically(Data(ConfigCoder.yaml(config).utf8), to: run.config)
        let metrics = try MetricsLog(url: run.metrics, keepingThrough: resume ? counters.steps : nil)
        // TensorBoard drops points at or after a START step: start just past the checkpoint's own points.
        let events = try EventFileWriter(directory: run.url, resumingAt: resume ? counters.steps + 1 : nil)

        /// Observations normalised with the estimates so far; with `update`,
        /// the estimates then take in the raw rows (BatchPPO's order).
        func normalized(_ observations: [Float], update: Bool) -> [Float] {
            guard var normalizer = observationNormalizer else { return observations }
            var out = observations
            let rows = observations.count / observationSize
            out.withUnsafeMutableBufferPointer { buffer in
                for row in 0..<rows {
                    normalizer.transform(UnsafeMutableBufferPointer(rebasing: buffer[(row * observationSize)..<((row + 1) * observationSize)]))
                }
            }
            if update {
                observations.withUnsafeBufferPointer { buffer in
                    for row in 0..<rows {
                        normalizer.update(UnsafeBufferPointer(rebasing: buffer[(row * observationSize)..<((row + 1) * observationSize)]))
                    }
                }
                observationNormalizer = normalizer
            }
            return out
        }

        func saveCheckpoint() throws -> URL {
            counters.wallSeconds = sessionStartWall + (Date().timeIntervalSince1970 - sessionStart)
            let file = PPOCheckpoint.make(learner: learner, observationNormalizer: observationNormalizer,
                                          rewardNormalizer: rewardNormalizer, counters: counters, config: config)
            return try checkpoints.save(file, step: counters.steps)
        }

        var tracker = EpisodeTracker(environments: batchSize)
        var batch = try pool.reset()
        let sessionStart = Date().timeIntervalSince1970
        let sessionStartWall = counters.wallSeconds
        let sessionStartSteps = counters.steps
        let episodesAtStart = counters.episodes
        let totalSteps = config.totalSteps
        var schedule = RunSchedule(config: config, counters: counters, start: sessionStart)
        var intervalStatistics: [PPOUpdateStatistics] = []
        var lastCheckpoint: URL?
        var nonFinite = NonFiniteWatch(limit: config.maxConsecutiveNonFinite)
        var stopped = false, finalReturn: Double?
        let gamma = settings.discount
        var collectSeconds = 0.0, updateSeconds = 0.0, evaluationSeconds = 0.0
        device.resetCounters()

        training: while counters.steps < totalSteps {
            let collectStart = Date().timeIntervalSince1970
            var rollout = Rollout(steps: settings.stepsPerEnvironment, batchSize: batchSize, observationSize: observationSize, head: head)
            for _ in 0..<settings.stepsPerEnvironment {
                if StopSignal.requested { stopped = true; break training }
                let observations = normalized(batch.observations, update: true)
                let policy = try learner.act(observations)
                batch = try pool.step(mapping.environmentActions(policy.actions))
                rollout.observations += observations
                rollout.actions += policy.actions
                rollout.logProbabilities += policy.logProbabilities
                rollout.distributionParameters += policy.distributionParameters
                rollout.values += policy.values
                // Rewards: scaled if enabled; time-limit cuts bootstrap from v(final observation).
                var rewards = batch.rewards.map { Float($0) }
                if var normalizer = rewardNormalizer {
                    for i in rewards.indices {
                        var r = rewards[i]
                        withUnsafeMutablePointer(to: &r) { p in
                            let buffer = UnsafeMutableBufferPointer(start: p, count: 1)
                            normalizer.update(UnsafeBufferPointer(buffer))
                            normalizer.transform(buffer)
                        }
                        rewards[i] = r
                    }
                    rewardNormalizer = normalizer
                }
                let cut = (0..<batchSize).filter { batch.truncated[$0] && !batch.terminated[$0] && batch.finalObservations[$0] != nil }
                if !cut.isEmpty {
                    let finals = normalized(cut.flatMap { batch.finalObservations[$0]! }, update: false)
                    for (value, i) in zip(try learner.values(finals), cut) { rewards[i] += gamma * value }
                }
                rollout.rewards += rewards
                for i in 0..<batchSize {
                    let done = batch.terminated[i] || batch.truncated[i]
                    rollout.discounts.append(done ? 0 : gamma)
                    tracker.record(index: i, reward: batch.rewards[i], done: done)
                }
            }
            rollout.values += try learner.values(normalized(batch.observations, update: false))
            let progress = Double(counters.steps) / Double(totalSteps)
            let updateStart = Date().timeIntervalSince1970
            collectSeconds += updateStart - collectStart
            intervalStatistics.append(try learner.update(rollout, progress: progress))
            updateSeconds += Date().timeIntervalSince1970 - updateStart
            counters.steps += rollout.rows
            counters.updates += 1
            counters.episodes = episodesAtStart + tracker.totalEpisodes
            try nonFinite.check(learner.nonFinite, learnerStep: counters.updates, environmentStep: counters.steps, save: saveCheckpoint, log: log)

            let now = Date().timeIntervalSince1970
            let sessionRate = Double(counters.steps - sessionStartSteps) / max(now - sessionStart, 1e-9)
            display.live(ProgressDisplay.line(step: counters.steps, totalSteps: totalSteps, stepsPerSecond: sessionRate,
                                              meanReturn: tracker.recentMeanReturn, elapsed: sessionStartWall + now - sessionStart))

            var evaluation: EvaluationResult?
            if schedule.evaluationDue(counters.steps) {
                let evaluationStart = Date().timeIntervalSince1970
                evaluation = try evaluatePolicy(config, network: learner.network, normalizer: observationNormalizer, device: device)
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
                let record = TrainingMetrics.record(step: counters.steps, wallSeconds: wall, counters: counters,
                                                    episodes: episodes, learner: TrainingMetrics.averages(intervalStatistics)
                                                        .merging(["nonfinite_skipped": Double(nonFinite.skipped)]) { $1 }, stepsPerSecond: rate,
                                                    evaluation: evaluation, device: device, pool: pool)
                try metrics.append(record)
                try events.addScalars(TrainingMetrics.tensorBoardScalars(record), step: counters.steps)
                display.record(ProgressDisplay.line(step: counters.steps, totalSteps: totalSteps, stepsPerSecond: rate,
                                                    meanReturn: episodes?.meanReturn ?? tracker.recentMeanReturn, elapsed: wall))
                intervalStatistics.removeAll()
            }

            if schedule.checkpointDue(counters.steps) { lastCheckpoint = try saveCheckpoint() }
            if config.evaluation.stopAtTarget, counters.solvedAtStep != nil { break }
        }
        display.finish()
        if stopped { display.record("stopping: signal received; writing a checkpoint at step \(counters.steps)", always: true) }
        if lastCheckpoint == nil || schedule.lastCheckpointStep != counters.steps || stopped {
            lastCheckpoint = try saveCheckpoint()
        }
        let summary = TrainingSummary(counters: counters, stepsPerSecond: Double(counters.steps) / max(counters.wallSeconds, 1e-9),
                                      finalReturnMean: finalReturn ?? tracker.recentMeanReturn, stoppedBySignal: stopped,
                                      checkpoint: lastCheckpoint, collectSeconds: collectSeconds,
                                      updateSeconds: updateSeconds, evaluationSeconds: evaluationSeconds)
        try writeTrainingSummary(summary, config: config, run: run, device: device, pool: pool)
        return summary
    }
}
