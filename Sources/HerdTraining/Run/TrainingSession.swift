import Foundation
import HerdAgents
import HerdRuntime
import HerdTensor

/// What every trainer does around its own loop: the run directory's files
/// (resolved config, `metrics.jsonl`, TensorBoard events, checkpoints,
/// `summary.json`), resuming, the session clock, the progress line,
/// evaluations, metric records, the non-finite watch, and the final
/// checkpoint and summary. A trainer collects data and makes learner steps;
/// after each step it updates ``counters`` and calls
/// ``afterStep(learner:learnerStep:pool:evaluate:values:suffix:)``.
final class TrainingSession {
    let config: TrainConfig
    let run: RunDirectory
    let device: Device
    let display: ProgressDisplay
    let log: (String) -> Void
    let checkpoints: CheckpointStore
    var counters = TrainingCounters()
    /// Episodes finished in this session, by environment.
    var tracker: EpisodeTracker
    private(set) var nonFinite: NonFiniteWatch
    private(set) var evaluationSeconds = 0.0
    /// Set by the trainer when a signal ends the run.
    var stopped = false

    private let metrics: MetricsLog
    private let events: EventFileWriter
    private var schedule: RunSchedule
    private let makeCheckpoint: (TrainingCounters) -> SafetensorsFile
    private var lastCheckpoint: URL?
    private var finalReturn: Double?
    private let start: Double, startWall: Double, episodesAtStart: Int
    /// Environment steps taken before this session (a resumed run's checkpoint).
    let stepsAtStart: Int

    /// Creates the run directory; with `restore`, loads the newest usable
    /// checkpoint into the trainer's objects (`restore` returns its counters)
    /// and logs where the run resumes (plus `resumeNote`). Then writes the
    /// resolved config, opens the metrics and event files (after a resume,
    /// keeping what the checkpoint covers) and starts the clock.
    /// `checkpoint` makes the trainer's checkpoint for given counters.
    init(config: TrainConfig, run: RunDirectory, device: Device, display: ProgressDisplay, environments: Int,
         log: @escaping (String) -> Void, resume restore: ((SafetensorsFile, URL) throws -> TrainingCounters)?,
         resumeNote: String = "", checkpoint: @escaping (TrainingCounters) -> SafetensorsFile) throws {
        self.config = config
        self.run = run
        self.device = device
        self.display = display
        self.log = log
        try run.create()
        checkpoints = CheckpointStore(directory: run.checkpoints, keep: config.checkpoint.keep)
        tracker = EpisodeTracker(environments: environments)
        nonFinite = NonFiniteWatch(limit: config.maxConsecutiveNonFinite)
        makeCheckpoint = checkpoint
        if let restore {
            let (file, url) = try checkpoints.loadForResume(log: log)
            counters = try restore(file, url)
            log("herd train: resumed from \(url.path) at step \(counters.steps)\(resumeNote)")
        }
        let resumed = restore != nil
        try writeFileAtomically(Data(ConfigCoder.yaml(config).utf8), to: run.config)
        metrics = try MetricsLog(url: run.metrics, keepingThrough: resumed ? counters.steps : nil)
        // TensorBoard drops points at or after a START step: start just past the checkpoint's own points.
        events = try EventFileWriter(directory: run.url, resumingAt: resumed ? counters.steps + 1 : nil)
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
        counters.wallSeconds = wall()
        return try checkpoints.save(makeCheckpoint(counters), step: counters.steps)
    }

    /// After a learner step, with ``counters``' steps and updates current:
    /// the non-finite watch, the progress line, an evaluation when due
    /// (`evaluate`), a metrics record and log line when due (`values` gives
    /// the learner's figures for the interval's seconds, `suffix` extends the
    /// line), and a checkpoint when due. Returns whether it logged (the
    /// trainer then starts its interval statistics afresh) and whether the
    /// run reached its target and stops there.
    func afterStep(learner guardState: NonFiniteGuard, learnerStep: Int, pool: ProcessPool,
                   evaluate: () throws -> EvaluationResult,
                   values: (_ intervalSeconds: Double) -> [String: Double],
                   suffix: ([String: Double]) -> String = { _ in "" }) throws -> (logged: Bool, stop: Bool) {
        counters.episodes = episodesAtStart + tracker.totalEpisodes
        try nonFinite.check(guardState, learnerStep: learnerStep, environmentStep: counters.steps, save: saveCheckpoint, log: log)

        let now = Date().timeIntervalSince1970
        let sessionRate = Double(counters.steps - stepsAtStart) / max(now - start, 1e-9)
        display.live(ProgressDisplay.line(step: counters.steps, totalSteps: config.totalSteps, stepsPerSecond: sessionRate,
                                          meanReturn: tracker.recentMeanReturn, elapsed: wall(now)))

        var evaluation: EvaluationResult?
        if schedule.evaluationDue(counters.steps) {
            let evaluationStart = Date().timeIntervalSince1970
            let result = try evaluate()
            evaluationSeconds += Date().timeIntervalSince1970 - evaluationStart
            if let solved = schedule.recordEvaluation(result, counters: &counters, wall: wall()) {
                display.record(solved, always: true)
            }
            evaluation = result
        }

        var logged = false
        if schedule.logDue(counters.steps) || evaluation != nil {
            let interval = schedule.takeLogInterval(step: counters.steps, now: now)
            let rate = Double(interval.steps) / max(interval.seconds, 1e-9)
            let episodes = tracker.drain()
            if let episodes { finalReturn = episodes.meanReturn }
            var learnerValues = values(interval.seconds)
            learnerValues["nonfinite_skipped"] = Double(nonFinite.skipped)
            let record = TrainingMetrics.record(step: counters.steps, wallSeconds: wall(now), counters: counters, episodes: episodes,
                                                learner: learnerValues, stepsPerSecond: rate, evaluation: evaluation,
                                                device: device, pool: pool)
            try metrics.append(record)
            try events.addScalars(TrainingMetrics.tensorBoardScalars(record), step: counters.steps)
            display.record(ProgressDisplay.line(step: counters.steps, totalSteps: config.totalSteps, stepsPerSecond: rate,
                                                meanReturn: episodes?.meanReturn ?? tracker.recentMeanReturn, elapsed: wall(now))
                           + suffix(learnerValues))
            logged = true
        }

        if schedule.checkpointDue(counters.steps) { lastCheckpoint = try saveCheckpoint() }
        return (logged, config.evaluation.stopAtTarget && counters.solvedAtStep != nil)
    }

    /// Ends the run: the final checkpoint (unless one was just written for
    /// this step) and the summary, returned and written to `summary.json`
    /// with the agent's `extra` figures.
    func finish(pool: ProcessPool, collectSeconds: Double, updateSeconds: Double,
                extra: [(String, Double)] = []) throws -> TrainingSummary {
        display.finish()
        if stopped { display.record("stopping: signal received; writing a checkpoint at step \(counters.steps)", always: true) }
        if lastCheckpoint == nil || schedule.lastCheckpointStep != counters.steps || stopped {
            lastCheckpoint = try saveCheckpoint()
        }
        let summary = TrainingSummary(counters: counters, stepsPerSecond: Double(counters.steps) / max(counters.wallSeconds, 1e-9),
                                      finalReturnMean: finalReturn ?? tracker.recentMeanReturn, stoppedBySignal: stopped,
                                      checkpoint: lastCheckpoint, collectSeconds: collectSeconds,
                                      updateSeconds: updateSeconds, evaluationSeconds: evaluationSeconds)
        try writeTrainingSummary(summary, config: config, run: run, device: device, pool: pool, extra: extra)
        return summary
    }
}
