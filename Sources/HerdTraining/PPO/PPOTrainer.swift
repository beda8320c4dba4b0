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
public final class PPOTrainer: Trainer {
    public func train(resume: Bool) throws -> TrainingSummary {
        let settings = config.ppo
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
        let session = try TrainingSession(
            config: config, run: run, device: device, display: display, environments: batchSize, log: log,
            resume: resume ? { file, url in
                try PPOCheckpoint.restore(file, path: url.path, learner: learner,
                                          observationNormalizer: &observationNormalizer, rewardNormalizer: &rewardNormalizer)
            } : nil,
            checkpoint: { [config] counters in
                PPOCheckpoint.make(learner: learner, observationNormalizer: observationNormalizer,
                                   rewardNormalizer: rewardNormalizer, counters: counters, config: config)
            })

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

        var batch = try pool.reset()
        let totalSteps = config.totalSteps
        var intervalStatistics: [PPOUpdateStatistics] = []
        let gamma = settings.discount
        var collectSeconds = 0.0, updateSeconds = 0.0

        training: while session.counters.steps < totalSteps {
            let collectStart = Date().timeIntervalSince1970
            var rollout = Rollout(steps: settings.stepsPerEnvironment, batchSize: batchSize, observationSize: observationSize, head: head)
            for _ in 0..<settings.stepsPerEnvironment {
                if StopSignal.requested { session.stopped = true; break training }
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
                    session.tracker.record(index: i, reward: batch.rewards[i], done: done)
                }
            }
            rollout.values += try learner.values(normalized(batch.observations, update: false))
            let progress = Double(session.counters.steps) / Double(totalSteps)
            let updateStart = Date().timeIntervalSince1970
            collectSeconds += updateStart - collectStart
            intervalStatistics.append(try learner.update(rollout, progress: progress))
            updateSeconds += Date().timeIntervalSince1970 - updateStart
            session.counters.steps += rollout.rows
            session.counters.updates += 1
            let after = try session.afterStep(
                learner: learner.nonFinite, learnerStep: session.counters.updates, pool: pool,
                evaluate: { try evaluatePolicy(config, network: learner.network, normalizer: observationNormalizer, device: device) },
                values: { _ in TrainingMetrics.averages(intervalStatistics) })
            if after.logged { intervalStatistics.removeAll() }
            if after.stop { break }
        }
        return try session.finish(pool: pool, collectSeconds: collectSeconds, updateSeconds: updateSeconds)
    }
}
