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
public final class VTraceTrainer: Trainer {
    public func train(resume: Bool) throws -> TrainingSummary {
        let settings = config.vtrace
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

        let session = try TrainingSession(
            config: config, run: run, device: device, display: display, environments: pool.environmentCount, log: log,
            resume: resume ? { file, url in try VTraceCheckpoint.restore(file, path: url.path, learner: learner) } : nil,
            checkpoint: { [config] counters in VTraceCheckpoint.make(learner: learner, counters: counters, config: config) })
        try policy.publish(learner.network, version: learner.version)

        var inference = InferenceSettings(maxBatchSize: settings.inferenceMaxBatch > 0 ? settings.inferenceMaxBatch : pool.environmentCount)
        inference.fullBatchSize = settings.inferenceFullBatch > 0 ? settings.inferenceFullBatch : inference.maxBatchSize
        inference.batchTimeout = settings.inferenceTimeoutMs / 1000
        inference.unrollLength = settings.learner.unrollLength
        inference.queueCapacity = settings.queueCapacity
        let server = InferenceServer(pool: pool, policy: policy, settings: inference)

        let totalSteps = config.totalSteps
        var intervalStatistics: [VTraceStepStatistics] = []
        var lags: [Int] = []
        var waitSeconds = 0.0, updateSeconds = 0.0
        try server.start()
        defer { try? server.stop() }

        training: while session.counters.steps < totalSteps {
            // B unrolls from the server (waiting is the learner starving for data).
            let waitStart = Date().timeIntervalSince1970
            var unrolls: [Unroll] = []
            while unrolls.count < settings.learner.batchSize {
                if StopSignal.requested { session.stopped = true; break training }
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
                    session.tracker.record(index: unroll.environment, reward: Double(step.reward), done: step.terminated || step.truncated)
                }
            }
            let batch = VTraceBatch(unrolls: unrolls, observationSize: observationSize, head: head,
                                    discount: settings.learner.discount, rewardClipping: settings.learner.rewardClipping)
            let progress = Double(session.counters.steps) / Double(totalSteps)
            intervalStatistics.append(try learner.step(batch, progress: progress))
            try policy.publish(learner.network, version: learner.version)
            updateSeconds += Date().timeIntervalSince1970 - updateStart
            session.counters.steps = session.stepsAtStart + server.environmentSteps
            session.counters.updates = learner.version
            let after = try session.afterStep(
                learner: learner.nonFinite, learnerStep: learner.version, pool: pool,
                evaluate: { try evaluatePolicy(config, network: learner.network, normalizer: nil, device: device) },
                values: { seconds in
                    let inferenceStatistics = server.statistics
                    var values = TrainingMetrics.averages(intervalStatistics)
                    values["policy_lag_mean"] = lags.isEmpty ? .nan : Double(lags.reduce(0, +)) / Double(lags.count)
                    values["policy_lag_max"] = Double(lags.max() ?? 0)
                    values["inference_batch_mean"] = inferenceStatistics.meanBatchSize
                    values["inference_latency_p50_ms"] = inferenceStatistics.latencyP50 * 1000
                    values["inference_latency_p99_ms"] = inferenceStatistics.latencyP99 * 1000
                    values["unrolls_discarded"] = Double(inferenceStatistics.discardedUnrolls)
                    values["queue_blocked_seconds"] = inferenceStatistics.queueBlockedSeconds
                    values["learner_steps_per_second"] = Double(intervalStatistics.count) / max(seconds, 1e-9)
                    return values
                },
                suffix: { String(format: "  lag %.1f", $0["policy_lag_mean"] ?? .nan) })
            if after.logged {
                intervalStatistics.removeAll()
                lags.removeAll()
            }
            if after.stop { break }
        }
        try server.stop()
        let s = server.statistics
        return try session.finish(pool: pool, collectSeconds: waitSeconds, updateSeconds: updateSeconds, extra: [
            ("inference_batches", Double(s.batches)), ("inference_batch_mean", s.meanBatchSize),
            ("inference_latency_p50_ms", s.latencyP50 * 1000), ("inference_latency_p99_ms", s.latencyP99 * 1000),
            ("unrolls_completed", Double(s.completedUnrolls)), ("unrolls_discarded", Double(s.discardedUnrolls)),
            ("queue_blocked_seconds", s.queueBlockedSeconds),
        ] + (pool.listenEndpoint == nil ? [] : [
            ("remote_joined", Double(pool.remoteJoined)), ("remote_lost", Double(pool.remoteLost)),
            ("remote_refused", Double(pool.remoteRefused)),
        ]))
    }
}
