import Foundation
import HerdRuntime

/// Unrolls from SEED RL's central inference server (``InferenceServer``),
/// environments stepping asynchronously. ``take(_:)`` and
/// ``next(timeout:)`` hand unrolls to the learner's thread, record their
/// new steps in the run's ``EpisodeBook`` (a fresh unroll first drops its
/// environment's interrupted episode), surface the server's failure, and
/// check for a stop request while they wait.
public final class UnrollSource: DataSource {
    public let server: InferenceServer
    private let context: TrainingContext
    private var started = false, stopped = false
    public private(set) var collectSeconds = 0.0

    init(server: InferenceServer, context: TrainingContext) {
        self.server = server
        self.context = context
    }

    public var environmentSteps: Int { server.environmentSteps }

    /// `count` unrolls, waiting as long as it takes.
    public func take(_ count: Int) throws -> [Unroll] {
        var unrolls: [Unroll] = []
        unrolls.reserveCapacity(count)
        while unrolls.count < count {
            if let unroll = try next(timeout: 0.25) { unrolls.append(unroll) }
        }
        return unrolls
    }

    /// The next unroll, or nil after `timeout` seconds (0: only one already waiting).
    public func next(timeout: Double) throws -> Unroll? {
        try throwIfStopRequested()
        if !started {
            started = true
            try server.start()
        }
        let start = Date().timeIntervalSince1970
        defer { collectSeconds += Date().timeIntervalSince1970 - start }
        guard let unroll = server.unrolls.take(timeout: timeout) else {
            if let error = server.error { throw error }
            return nil
        }
        record(unroll)
        return unroll
    }

    /// Its steps that are new transitions: with overlap 1 (V-trace) the
    /// first step is the previous unroll's last; a fresh unroll's first is
    /// a reset (or the truncation a replacement reports), not a transition.
    private func record(_ unroll: Unroll) {
        let id = unroll.environment
        if unroll.fresh { context.episodes.restart(index: id) }
        let skip = unroll.fresh ? max(1, server.settings.unrollOverlap) : server.settings.unrollOverlap
        for step in unroll.steps.dropFirst(skip) {
            context.episodes.record(index: id, reward: Double(step.reward), done: step.terminated || step.truncated)
        }
    }

    public static let metrics: [Metric] = [
        InferenceMetrics.batchMean, InferenceMetrics.latencyP50, InferenceMetrics.latencyP99,
        InferenceMetrics.unrollsDiscarded, InferenceMetrics.queueBlockedSeconds,
    ]

    public func takeIntervalMetrics() -> MetricValues {
        let s = server.statistics
        var values = MetricValues()
        values[InferenceMetrics.batchMean] = s.meanBatchSize
        values[InferenceMetrics.latencyP50] = s.latencyP50 * 1000
        values[InferenceMetrics.latencyP99] = s.latencyP99 * 1000
        values[InferenceMetrics.unrollsDiscarded] = Double(s.discardedUnrolls)
        values[InferenceMetrics.queueBlockedSeconds] = s.queueBlockedSeconds
        return values
    }

    public static let summaryFields: [Metric] = [
        InferenceMetrics.batches, InferenceMetrics.batchMean, InferenceMetrics.latencyP50, InferenceMetrics.latencyP99,
        InferenceMetrics.unrollsCompleted, InferenceMetrics.unrollsDiscarded, InferenceMetrics.queueBlockedSeconds,
    ]

    public func summaryMetrics() -> MetricValues {
        let s = server.statistics
        var values = takeIntervalMetrics()
        values[InferenceMetrics.batches] = Double(s.batches)
        values[InferenceMetrics.unrollsCompleted] = Double(s.completedUnrolls)
        return values
    }

    public func close() throws {
        guard started, !stopped else { return }
        stopped = true
        try server.stop()
    }
}

/// The central inference server's figures.
public enum InferenceMetrics {
    public static let batchMean = Metric("inference_batch_mean", tag: "inference/batch_mean", .count,
                                         "Mean environments per inference batch (recent window).")
    public static let latencyP50 = Metric("inference_latency_p50_ms", tag: "inference/latency_p50_ms", .milliseconds,
                                          "Median time from receiving a batch to sending its actions (recent window).")
    public static let latencyP99 = Metric("inference_latency_p99_ms", tag: "inference/latency_p99_ms", .milliseconds,
                                          "99th percentile of that time.")
    public static let unrollsDiscarded = Metric("unrolls_discarded", tag: "inference/unrolls_discarded", .count,
                                                "Partial unrolls dropped because their worker was replaced or vanished, so far.")
    public static let queueBlockedSeconds = Metric("queue_blocked_seconds", tag: "inference/queue_blocked_seconds", .seconds,
                                                   "Seconds inference waited for room in the unroll queue (the learner behind), so far.")
    public static let batches = Metric("inference_batches", tag: nil, .count, "Inference batches run.")
    public static let unrollsCompleted = Metric("unrolls_completed", tag: nil, .count, "Unrolls handed to the learner.")
}
