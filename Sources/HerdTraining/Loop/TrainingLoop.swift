import Foundation
import HerdAgents
import HerdCore
import HerdRuntime
import HerdTensor

/// Trains the config's agent (``AgentRegistry``) and writes the run
/// directory as it goes. The loop owns everything agents share: the worker
/// pool, the stop signal, the counters, the progress line, `metrics.jsonl`
/// and TensorBoard, evaluations, checkpoints, the non-finite watch and
/// `summary.json`. The agent supplies ``AgentRun/iterate(progress:)``
/// (collect data, make learner updates) and its parts.
///
/// SIGINT/SIGTERM (``StopSignal``) end the run at the data source's next
/// step or wait: the unfinished iteration is dropped, a checkpoint of the
/// last update is written, and ``train(resume:)`` returns normally.
public final class TrainingLoop {
    public let config: TrainConfig
    public let run: RunDirectory
    public let device: Device
    public let display: ProgressDisplay
    /// Path of the `herd` executable that workers run.
    public var herdExecutable = PoolConfiguration.defaultHerdExecutable()
    /// Messages (resume, skipped checkpoints, non-finite steps) go here.
    public var log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    /// Called once the run directory exists (after the workers started), before training.
    public var runDirectoryCreated: (URL) -> Void = { _ in }

    public init(config: TrainConfig, run: RunDirectory, device: Device = .cpu, display: ProgressDisplay = ProgressDisplay()) {
        self.config = config
        self.run = run
        self.device = device
        self.display = display
    }

    /// Trains from the start, or with `resume` continues the run from its
    /// checkpoint `from` names.
    public func train(resume: Bool, from checkpoint: CheckpointChoice = .latest) throws -> TrainingSummary {
        guard let agent = AgentRegistry.agent(named: config.agent) else {
            throw ConfigError.invalidValue(file: config.name, key: "agent", value: config.agent,
                                           requirement: "be one of \(AgentRegistry.names.joined(separator: ", "))")
        }
        let (pool, mapping) = try makeTrainingPool(config, herdExecutable: herdExecutable)
        defer { pool.close() }
        let context = TrainingContext(config: config, device: device, pool: pool, mapping: mapping,
                                      dataSource: agent.dataSource, log: log)
        defer { try? context.source?.close() }
        let run = try agent.start(config.agentSettings, context)
        let session = try TrainingSession(
            config: config, run: self.run, device: device, display: display, log: log, format: agent.checkpointFormat,
            agentRun: run, resume: resume ? checkpoint : nil, context: context)
        context.stepsAtStart = session.stepsAtStart
        runDirectoryCreated(self.run.url)

        var iterationSeconds = 0.0
        var lastReported = -1
        while session.counters.steps < config.totalSteps {
            let start = Date().timeIntervalSince1970
            let updates: Int
            do {
                updates = try run.iterate(progress: Double(session.counters.steps) / Double(config.totalSteps))
            } catch is StopRequested {
                session.stopped = true
                break
            } catch let error as RuntimeError where error.isPoolFailure {
                // The pool cannot go on (a worker that cannot start, one that
                // keeps failing): the unfinished iteration is dropped as for a
                // signal, the run is checkpointed and summarised, then it fails.
                session.failure = "\(error)"
                break
            }
            iterationSeconds += Date().timeIntervalSince1970 - start
            session.counters.steps = context.environmentSteps
            session.counters.updates = run.updates
            guard updates > 0 else { continue }
            lastReported = session.counters.steps
            if try session.afterStep() { break }
        }
        // The last iteration may have taken the final steps without an
        // update (SAC between rounds, R2D2 waiting for replay): the end of
        // the run still gets its evaluation and metrics line.
        if !session.stopped, session.counters.steps >= config.totalSteps, lastReported != session.counters.steps,
           run.updates > 0 {
            _ = try session.afterStep()
        }
        // After a pool failure the rest is best effort: what stopped the run
        // is the error to report, not one met while closing or checkpointing.
        let failure = session.failure
        func settle<T>(_ work: () throws -> T, otherwise: T) throws -> T {
            guard failure != nil else { return try work() }
            return (try? work()) ?? otherwise
        }
        try settle({ try context.source?.close() }, otherwise: ())
        let collect = context.source?.collectSeconds ?? 0
        var extra = context.source?.summaryMetrics() ?? MetricValues()
        extra.merge(try settle({ try run.finish() }, otherwise: MetricValues()))
        let finish = {
            try session.finish(pool: pool, collectSeconds: collect, updateSeconds: max(iterationSeconds - collect, 0), extra: extra)
        }
        guard let failure else { return try finish() }
        throw RunError.poolFailed(failure, checkpoint: (try? finish())?.checkpoint)
    }
}
