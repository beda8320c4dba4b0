import Foundation
import HerdAgents
import HerdRuntime
import HerdTensor

/// The run-directory side of ``TrainingLoop``: the resolved config,
/// `metrics.jsonl`, TensorBoard events, checkpoints (with resume) and
/// `summary.json`; the session clock, the progress line, evaluations when
/// due and the non-finite watch. After each iteration that updated the
/// learner, the loop sets ``counters`` and calls ``afterStep()``.
final class TrainingSession {
    let config: TrainConfig
    let run: RunDirectory
    let device: Device
    let display: ProgressDisplay
    let log: (String) -> Void
    let checkpoints: CheckpointStore
    var counters = TrainingCounters()
    private(set) var nonFinite: NonFiniteWatch
    private(set) var evaluationSeconds = 0.0
    /// Set by the loop when a signal ends the run.
    var stopped = false
    /// Why the pool could not go on, when it could not (the run then stops as for a signal).
    var failure: String?

    private let agentRun: any AgentRun
    private let context: TrainingContext
    private let format: String
    private let metrics: MetricsLog
    private let events: EventFileWriter
    private var schedule: RunSchedule
    private var lastCheckpoint: URL?
    private var finalReturn: Double?
    private let start: Double, startWall: Double, episodesAtStart: Int
    /// Environment steps taken before this session (a resumed run's checkpoint).
    let stepsAtStart: Int

    /// Creates the run directory; with `resume`, restores the newest usable
    /// checkpoint into `agentRun` and logs where the run resumes. Then
    /// writes the resolved config, opens the metrics and event files (after
    /// a resume, keeping what the checkpoint covers) and starts the clock.
    init(config: TrainConfig, run: RunDirectory, device: Device, display: ProgressDisplay, log: @escaping (String) -> Void,
         format: String, agentRun: any AgentRun, resume: CheckpointChoice?, context: TrainingContext) throws {
        self.config = config
        self.run = run
        self.device = device
        self.display = display
        self.log = log
        self.format = format
        self.agentRun = agentRun
        self.context = context
        try run.create()
        checkpoints = CheckpointStore(directory: run.checkpoints, keep: config.checkpoint.keep)
        nonFinite = NonFiniteWatch(limit: config.maxConsecutiveNonFinite)
        if let resume {
            let (file, url) = try checkpoints.loadForResume(resume, log: log)
            guard file.metadata["herd.format"] == format else {
                throw RunError.incompatible(path: url.path, reason: "not a Herd \(config.agent) checkpoint (format \(file.metadata["herd.format"] ?? "missing"), expected \(format))")
            }
            counters = try Checkpoint.counters(of: file, path: url.path)
            try agentRun.restore(file, path: url.path, counters: counters)
            counters = Self.adoptingBest(counters, from: checkpoints, log: log)
            let moved = try checkpoints.setAside(after: counters.steps)
            if !moved.isEmpty {
                log("herd train: moved \(moved.count) checkpoint(s) after step \(counters.steps) to \(checkpoints.directory.appendingPathComponent("abandoned").path)")
            }
            log("herd train: resumed from \(url.path) at step \(counters.steps)\(agentRun.resumeNote)")
        }
        try writeFileAtomically(Data(ConfigCoder.yaml(config).utf8), to: run.config)
        metrics = try MetricsLog(url: run.metrics, keepingThrough: resume != nil ? counters.steps : nil)
        // TensorBoard drops points at or after a START step: start just past the checkpoint's own points.
        events = try EventFileWriter(directory: run.url, resumingAt: resume != nil ? counters.steps + 1 : nil)
        start = Date().timeIntervalSince1970
        startWall = counters.wallSeconds
        stepsAtStart = counters.steps
        episodesAtStart = counters.episodes
        schedule = RunSchedule(config: config, counters: counters, start: start)
        device.resetCounters()
    }

    /// Wall-clock seconds of the whole run (across resumes) at `now`.
    func wall(_ now: Double = Date().timeIntervalSince1970) -> Double { startWall + now - start }

    func saveCheckpoint() throws -> URL {
        try checkpoints.save(checkpointFile(), step: counters.steps)
    }

    private func checkpointFile() -> SafetensorsFile {
        counters.wallSeconds = wall()
        return Checkpoint.make(format: format, config: config, counters: counters, contents: agentRun.checkpointContents())
    }

    /// After a resume: `best.safetensors` may hold a better evaluation than
    /// the checkpoint resumed from knows of (one after it, or the resumed
    /// checkpoint was not the newest). The run keeps that best, and a new
    /// evaluation replaces it only by beating it. A damaged best file is
    /// reported and will be replaced by the next evaluation.
    private static func adoptingBest(_ resumed: TrainingCounters, from checkpoints: CheckpointStore,
                                     log: (String) -> Void) -> TrainingCounters {
        var counters = resumed
        let best: SafetensorsFile?
        do {
            best = try checkpoints.loadBest()
        } catch {
            log("herd train: \(checkpoints.bestURL.path) is damaged (\(error)); the next evaluation replaces it")
            counters.bestEvaluationReturn = nil
            counters.bestEvaluationStep = nil
            return counters
        }
        guard let best, let saved = try? Checkpoint.counters(of: best, path: checkpoints.bestURL.path),
              let savedReturn = saved.bestEvaluationReturn else { return counters }
        if counters.bestEvaluationReturn.map({ savedReturn > $0 }) ?? true {
            counters.bestEvaluationReturn = savedReturn
            counters.bestEvaluationStep = saved.bestEvaluationStep
        }
        return counters
    }

    /// After an iteration that updated the learner, with ``counters``'
    /// steps and updates current: the non-finite watch, the progress line,
    /// an evaluation when due, a metrics record and log line when due (the
    /// agent's interval statistics are taken, and so start afresh), and a
    /// checkpoint when due. Returns whether the run reached its target and
    /// stops there.
    func afterStep() throws -> Bool {
        let episodes = context.episodes
        counters.episodes = episodesAtStart + episodes.totalEpisodes
        try nonFinite.check(agentRun.nonFinite, learnerStep: agentRun.updates, environmentStep: counters.steps,
                            save: saveCheckpoint, log: log)

        let now = Date().timeIntervalSince1970
        let sessionRate = Double(counters.steps - stepsAtStart) / max(now - start, 1e-9)
        display.live(ProgressDisplay.line(step: counters.steps, totalSteps: config.totalSteps, stepsPerSecond: sessionRate,
                                          meanReturn: episodes.recentMeanReturn, elapsed: wall(now)))

        var evaluation: EvaluationResult?
        if schedule.evaluationDue(counters.steps) {
            let evaluationStart = Date().timeIntervalSince1970
            let result = try context.evaluate(agentRun.trainedPolicy())
            evaluationSeconds += Date().timeIntervalSince1970 - evaluationStart
            let (isBest, solved) = schedule.recordEvaluation(result, counters: &counters, wall: wall())
            if isBest { try checkpoints.saveBest(checkpointFile()) }
            if let solved { display.record(solved, always: true) }
            evaluation = result
        }

        if schedule.logDue(counters.steps) || evaluation != nil {
            let interval = schedule.takeLogInterval(step: counters.steps, now: now)
            let rate = Double(interval.steps) / max(interval.seconds, 1e-9)
            let finished = context.episodes.drain()
            if let finished { finalReturn = finished.meanReturn }
            let learner = agentRun.takeIntervalMetrics(seconds: interval.seconds)
            var values = MetricsLine.values(step: counters.steps, wallSeconds: wall(now), counters: counters, episodes: finished,
                                            learner: learner, source: context.source?.takeIntervalMetrics() ?? MetricValues(),
                                            stepsPerSecond: rate, evaluation: evaluation, device: device, pool: context.pool)
            values[RunMetrics.nonFiniteSkipped] = Double(nonFinite.skipped)
            try metrics.append(MetricsLine.record(values))
            try events.addScalars(MetricsLine.tensorBoardScalars(values), step: counters.steps)
            display.record(ProgressDisplay.line(step: counters.steps, totalSteps: config.totalSteps, stepsPerSecond: rate,
                                                meanReturn: finished?.meanReturn ?? context.episodes.recentMeanReturn, elapsed: wall(now))
                           + agentRun.progressSuffix(learner))
        }

        if schedule.checkpointDue(counters.steps) { lastCheckpoint = try saveCheckpoint() }
        return config.evaluation.stopAtTarget && counters.solvedAtStep != nil
    }

    /// Ends the run: the final checkpoint (unless one was just written for
    /// this step) and the summary, returned and written to `summary.json`
    /// with the agent's and data source's figures.
    func finish(pool: ProcessPool, collectSeconds: Double, updateSeconds: Double, extra: MetricValues) throws -> TrainingSummary {
        display.finish()
        if stopped { display.record("stopping: signal received; writing a checkpoint at step \(counters.steps)", always: true) }
        if let failure { display.record("stopping: \(failure); writing a checkpoint at step \(counters.steps)", always: true) }
        if lastCheckpoint == nil || schedule.lastCheckpointStep != counters.steps || stopped || failure != nil {
            lastCheckpoint = try saveCheckpoint()
        }
        let summary = TrainingSummary(counters: counters, stepsPerSecond: Double(counters.steps) / max(counters.wallSeconds, 1e-9),
                                      finalReturnMean: finalReturn ?? context.episodes.recentMeanReturn, stoppedBySignal: stopped,
                                      stoppedByError: failure,
                                      checkpoint: lastCheckpoint, collectSeconds: collectSeconds,
                                      updateSeconds: updateSeconds, evaluationSeconds: evaluationSeconds)
        try SummaryWriter.write(summary, config: config, run: run, device: device, pool: pool, extra: extra)
        return summary
    }
}
