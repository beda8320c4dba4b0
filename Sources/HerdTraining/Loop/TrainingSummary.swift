import Foundation
import HerdCore
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
    /// What ended the run before `total_steps` when not a signal (the pool
    /// could not go on: a worker that cannot start, repeated errors).
    public var stoppedByError: String?
    public var checkpoint: URL?
    /// This session's wall-clock split: in the data source (stepping
    /// environments, or waiting for unrolls), in the agent outside it
    /// (acting and learner updates), in evaluations.
    public var collectSeconds = 0.0
    public var updateSeconds = 0.0
    public var evaluationSeconds = 0.0
}

/// `summary.json`: the declared fields (``SummaryMetrics``), then the
/// agent's and its data source's (`extra`).
struct SummaryWriter {
    private var json = JSONObjectText()

    mutating func add(_ metric: Metric, _ value: String) { json.add(metric.key, value) }
    mutating func add(_ metric: Metric, _ value: String?) {
        if let value { json.add(metric.key, value) } else { json.add(metric.key, nil as Double?) }
    }
    mutating func add(_ metric: Metric, _ value: Int) { json.add(metric.key, value) }
    mutating func add(_ metric: Metric, _ value: Double?) { json.add(metric.key, value) }
    mutating func add(_ metric: Metric, _ value: Bool) { json.add(metric.key, value) }

    static func write(_ summary: TrainingSummary, config: TrainConfig, run: RunDirectory, device: Device,
                      pool: ProcessPool, extra: MetricValues) throws {
        typealias S = SummaryMetrics
        var w = SummaryWriter()
        w.add(S.name, config.name)
        w.add(S.agent, config.agent)
        w.add(S.environment, config.environment.name)
        w.add(S.environments, pool.environmentCount)
        w.add(S.device, device.name)
        w.add(S.seed, config.seed)
        w.add(S.steps, summary.counters.steps)
        w.add(S.updates, summary.counters.updates)
        w.add(S.episodes, summary.counters.episodes)
        w.add(S.wallSeconds, summary.counters.wallSeconds)
        w.add(S.stepsPerSecond, summary.stepsPerSecond)
        w.add(S.collectSeconds, summary.collectSeconds)
        w.add(S.updateSeconds, summary.updateSeconds)
        w.add(S.evaluationSeconds, summary.evaluationSeconds)
        w.add(S.episodeReturnMean, summary.finalReturnMean)
        w.add(S.evaluationReturnLast, summary.counters.lastEvaluationReturn)
        w.add(S.evaluationReturnBest, summary.counters.bestEvaluationReturn)
        w.add(S.evaluationBestStep, summary.counters.bestEvaluationStep.map(Double.init))
        let best = CheckpointStore(directory: run.checkpoints, keep: 1).bestURL
        w.add(S.bestCheckpoint, summary.counters.bestEvaluationStep != nil && FileManager.default.fileExists(atPath: best.path) ? best.path : nil)
        w.add(S.targetReturn, config.evaluation.targetReturn)
        w.add(S.solvedAtStep, summary.counters.solvedAtStep.map(Double.init))
        w.add(S.solvedWallSeconds, summary.counters.solvedWallSeconds)
        w.add(S.workersReplaced, pool.workersReplaced)
        w.add(S.badFrames, pool.badFrames)
        w.add(S.workerErrors, pool.workerErrors)
        w.add(S.peersOverLimit, pool.peersOverLimit)
        if pool.listenEndpoint != nil {
            w.add(S.remoteJoined, pool.remoteJoined)
            w.add(S.remoteLost, pool.remoteLost)
            w.add(S.remoteRefused, pool.remoteRefused)
            w.add(S.remoteRefusedByAdmission, pool.admissionRefused)
            w.add(S.remoteReclaimed, pool.placesReclaimed)
        }
        if let curve = pool.curveCounts {
            w.add(S.curveAccepted, curve.accepted)
            w.add(S.curveRefusedUnknownKey, curve.unknownKey)
            w.add(S.curveRefusedHandshake, curve.failedHandshake)
            w.add(S.curveTurnedAway, curve.turnedAway)
        }
        let c = device.counters
        w.add(S.deviceBusySeconds, c.busySeconds)
        w.add(S.deviceUtilization, c.utilization)
        w.add(S.deviceBytesToDevice, c.bytesToDevice)
        w.add(S.deviceBytesToHost, c.bytesToHost)
        w.add(S.stoppedBySignal, summary.stoppedBySignal)
        w.add(S.stoppedByError, summary.stoppedByError)
        w.add(S.checkpoint, summary.checkpoint?.path ?? "")
        w.add(S.herdVersion, HerdVersion.herd)
        for (metric, value) in extra.entries { w.add(metric, value) }
        try writeFileAtomically(Data(w.json.text.utf8), to: run.summary)
    }
}
