import HerdRuntime
import HerdTensor

/// One line of `metrics.jsonl` and its TensorBoard points, from declared
/// metrics only: the run's leading figures, the agent's, the data
/// source's, then the run's trailing ones (``RunMetrics``).
enum MetricsLine {
    static func values(step: Int, wallSeconds: Double, counters: TrainingCounters,
                       episodes: (meanReturn: Double, meanLength: Double, count: Int)?,
                       learner: MetricValues, source: MetricValues, stepsPerSecond: Double,
                       evaluation: EvaluationResult?, device: Device, pool: ProcessPool) -> MetricValues {
        typealias R = RunMetrics
        var v = MetricValues()
        v[R.step] = Double(step)
        v[R.wallSeconds] = wallSeconds
        v[R.updates] = Double(counters.updates)
        v[R.episodes] = Double(episodes?.count ?? 0)
        v[R.episodeReturnMean] = episodes?.meanReturn ?? .nan
        v[R.episodeLengthMean] = episodes?.meanLength ?? .nan
        v.merge(learner)
        v.merge(source)
        v[R.stepsPerSecond] = stepsPerSecond
        let c = device.counters
        v[R.deviceBusySeconds] = c.busySeconds
        v[R.deviceUtilization] = c.utilization
        v[R.deviceBytesToDevice] = Double(c.bytesToDevice)
        v[R.deviceBytesToHost] = Double(c.bytesToHost)
        v[R.workersReplaced] = Double(pool.workersReplaced)
        v[R.badFrames] = Double(pool.badFrames)
        v[R.workerErrors] = Double(pool.workerErrors)
        if pool.listenEndpoint != nil {
            v[R.remoteJoined] = Double(pool.remoteJoined)
            v[R.remoteLost] = Double(pool.remoteLost)
            v[R.peersOverLimit] = Double(pool.peersOverLimit)
        }
        if let curve = pool.curveCounts { v[R.curveRefused] = Double(curve.refused) }
        if let evaluation {
            v[R.evalReturnMean] = evaluation.meanReturn
            v[R.evalReturnStd] = evaluation.stdReturn
            v[R.evalLengthMean] = evaluation.meanLength
        }
        return v
    }

    static func record(_ values: MetricValues) -> MetricsRecord {
        var record = MetricsRecord()
        for (metric, value) in values.entries { record[metric.key] = value }
        return record
    }

    /// The finite values that have a TensorBoard tag.
    static func tensorBoardScalars(_ values: MetricValues) -> [(tag: String, value: Double)] {
        values.entries.compactMap { entry in entry.metric.tag.flatMap { entry.value.isFinite ? ($0, entry.value) : nil } }
    }
}
