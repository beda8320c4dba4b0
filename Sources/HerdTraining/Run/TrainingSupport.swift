import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdRuntime
import HerdTensor
import HerdTransport

/// The worker processes a config asks for (local, and places for remote
/// ones when the fleet listens), and how the policy's actions map
/// to the environments' (a probe environment gives Box bounds; built-ins only).
func makeTrainingPool(_ config: TrainConfig, herdExecutable: String) throws -> (ProcessPool, ActionMapping) {
    let probe = try? EnvironmentRegistry.make(config.environment.name, settings: config.environment.settings)
    var poolConfiguration = PoolConfiguration(environment: config.environment.name,
                                              workers: config.fleet.localWorkers ?? config.environment.resolvedWorkers,
                                              environmentsPerWorker: config.environment.envsPerWorker, herdExecutable: herdExecutable)
    poolConfiguration.settings = config.environment.settings
    poolConfiguration.seed = UInt64(config.seed)
    if let listen = config.fleet.listen {
        poolConfiguration.listen = listen
        poolConfiguration.remoteWorkers = config.fleet.remoteWorkers
        poolConfiguration.remoteTimeout = config.fleet.remoteTimeout
        poolConfiguration.cancelWaiting = { StopSignal.requested }
    }
    poolConfiguration.limits.maxMessageBytes = config.fleet.maxFrameBytes
    poolConfiguration.limits.maxEnvironments = UInt32(config.fleet.maxEnvsPerWorker)
    poolConfiguration.maxPendingMessages = config.fleet.maxPendingMessages
    poolConfiguration.curve = try curveSettings(config.fleet)
    if config.fleet.listensBeyondLoopback, poolConfiguration.curve == nil, let listen = config.fleet.listen {
        warn("herd train: warning: listening on \(listen) beyond this machine without CURVE: anyone who can reach the port can join as a "
             + "worker, be sent the run's environment settings and feed unauthenticated, unencrypted data into training. "
             + "Use --curve-secret-key and --authorized-keys (herd keys generate), or listen on 127.0.0.1.")
    }
    let pool = try ProcessPool(poolConfiguration)
    if !config.network.convChannels.isEmpty,
       let problem = ConvTorso.problem(observationShape: pool.observationShape, settings: config.network) {
        pool.close()
        throw ConfigError.invalidValue(file: config.name, key: "network.conv_channels", value: "\(config.network.convChannels)",
                                       requirement: "fit the observations: \(problem)")
    }
    let head: ActionHead = pool.discreteActions.map { .categorical(classes: $0) } ?? .gaussian(dimension: pool.actionSize)
    return (pool, ActionMapping(space: probe?.actionSpace, head: head))
}

/// The learner's CURVE server settings from the fleet section's key files, if set.
func curveSettings(_ fleet: FleetConfig) throws -> CurveServerSettings? {
    guard let secret = fleet.curveSecretKey, let directory = fleet.authorizedKeys else { return nil }
    guard CurveKeyPair.isSupported else { throw CurveKeyError.unsupported("fleet.curve_secret_key: this libzmq was built without CURVE") }
    let keys = try CurveKeyPair.readSecret(URL(fileURLWithPath: secret), warn: { warn("herd train: warning: \($0)") })
    return CurveServerSettings(keys: keys, authorizedKeys: try CurveKeyPair.readAuthorizedKeys(URL(fileURLWithPath: directory)))
}

func warn(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

/// Evaluates `network` with the config's evaluation settings (in-process
/// environments, seeds apart from training's).
func evaluatePolicy(_ config: TrainConfig, network: ActorCritic, normalizer: StreamingNormalizer?, device: Device) throws -> EvaluationResult {
    let evaluator = Evaluator(environment: config.environment.name, settings: config.environment.settings,
                              episodes: config.evaluation.episodes, deterministic: config.evaluation.deterministic,
                              seed: UInt64(config.seed) &+ 1_000_003)
    return try evaluator.run(network: network, normalizer: normalizer, device: device)
}

/// When a training loop evaluates, logs and checkpoints, by environment steps.
struct RunSchedule {
    let config: TrainConfig
    private(set) var lastLogStep: Int
    private(set) var lastLogTime: Double
    private(set) var lastCheckpointStep: Int
    private(set) var lastEvaluationStep: Int

    init(config: TrainConfig, counters: TrainingCounters, start: Double) {
        self.config = config
        lastLogStep = counters.steps
        lastLogTime = start
        lastCheckpointStep = counters.steps
        lastEvaluationStep = counters.steps
    }

    /// Whether to evaluate now (every `evaluation.interval_steps`, and at the end); marks it done.
    mutating func evaluationDue(_ step: Int) -> Bool {
        let interval = config.evaluation.intervalSteps
        guard interval > 0, step - lastEvaluationStep >= interval || step >= config.totalSteps else { return false }
        lastEvaluationStep = step
        return true
    }

    /// Records an evaluation in the counters; returns the line to print when
    /// it reaches the target return for the first time.
    func recordEvaluation(_ evaluation: EvaluationResult, counters: inout TrainingCounters, wall: Double) -> String? {
        counters.lastEvaluationReturn = evaluation.meanReturn
        counters.bestEvaluationReturn = max(counters.bestEvaluationReturn ?? -.infinity, evaluation.meanReturn)
        guard let target = config.evaluation.targetReturn, evaluation.meanReturn >= target, counters.solvedAtStep == nil else { return nil }
        counters.solvedAtStep = counters.steps
        counters.solvedWallSeconds = wall
        return "solved: evaluation mean return \(String(format: "%.1f", evaluation.meanReturn)) ≥ \(target) at step \(counters.steps)"
    }

    func logDue(_ step: Int) -> Bool { step - lastLogStep >= config.logging.intervalSteps || step >= config.totalSteps }

    /// Steps and seconds since the previous log line; starts the next interval.
    mutating func takeLogInterval(step: Int, now: Double) -> (steps: Int, seconds: Double) {
        defer { lastLogStep = step; lastLogTime = now }
        return (step - lastLogStep, now - lastLogTime)
    }

    /// Whether a checkpoint is due; marks it written.
    mutating func checkpointDue(_ step: Int) -> Bool {
        guard step - lastCheckpointStep >= config.checkpoint.intervalSteps else { return false }
        lastCheckpointStep = step
        return true
    }
}

/// Writes `summary.json`: the run's figures common to every agent, then `extra`.
func writeTrainingSummary(_ summary: TrainingSummary, config: TrainConfig, run: RunDirectory, device: Device,
                          pool: ProcessPool, extra: [(String, Double)] = []) throws {
    var json = JSONObjectText()
    json.add("name", config.name)
    json.add("agent", config.agent.rawValue)
    json.add("environment", config.environment.name)
    json.add("environments", pool.environmentCount)
    json.add("device", device.name)
    json.add("seed", config.seed)
    json.add("steps", summary.counters.steps)
    json.add("updates", summary.counters.updates)
    json.add("episodes", summary.counters.episodes)
    json.add("wall_seconds", summary.counters.wallSeconds)
    json.add("steps_per_second", summary.stepsPerSecond)
    json.add("collect_seconds", summary.collectSeconds)
    json.add("update_seconds", summary.updateSeconds)
    json.add("evaluation_seconds", summary.evaluationSeconds)
    json.add("episode_return_mean", summary.finalReturnMean)
    json.add("evaluation_return_last", summary.counters.lastEvaluationReturn)
    json.add("evaluation_return_best", summary.counters.bestEvaluationReturn)
    json.add("target_return", config.evaluation.targetReturn)
    json.add("solved_at_step", summary.counters.solvedAtStep)
    json.add("solved_wall_seconds", summary.counters.solvedWallSeconds)
    json.add("workers_replaced", pool.workersReplaced)
    json.add("bad_frames", pool.badFrames)
    json.add("peers_over_limit", pool.peersOverLimit)
    if let curve = pool.curveCounts {
        json.add("curve_accepted", curve.accepted)
        json.add("curve_refused_unknown_key", curve.unknownKey)
        json.add("curve_refused_handshake", curve.failedHandshake)
    }
    let c = device.counters
    json.add("device_busy_seconds", c.busySeconds)
    json.add("device_utilization", c.utilization)
    json.add("device_bytes_to_device", c.bytesToDevice)
    json.add("device_bytes_to_host", c.bytesToHost)
    json.add("stopped_by_signal", summary.stoppedBySignal)
    json.add("checkpoint", summary.checkpoint?.path ?? "")
    json.add("herd_version", HerdVersion.herd)
    for (key, value) in extra { json.add(key, value) }
    try writeFileAtomically(Data(json.text.utf8), to: run.summary)
}

/// The trainer's side of ``NonFiniteGuard``: after each learner step it
/// logs new skips with the learner step, writes a checkpoint at the first
/// skip of a row (the learner's parameters are then still those from before
/// the bad step, since skipped steps change nothing), and stops the run
/// once the row reaches `config.max_consecutive_nonfinite`.
struct NonFiniteWatch {
    let limit: Int
    private var seen = 0
    private var rowStart: (learnerStep: Int, environmentStep: Int, checkpoint: URL)?

    init(limit: Int) { self.limit = limit }

    /// Skipped steps so far, for metrics.
    var skipped: Int { seen }

    mutating func check(_ guardState: NonFiniteGuard, learnerStep: Int, environmentStep: Int,
                        save: () throws -> URL, log: (String) -> Void) throws {
        guard guardState.skipped != seen else { return }
        let new = guardState.skipped - seen
        seen = guardState.skipped
        guard guardState.consecutive > 0 else {
            rowStart = nil
            return log("herd train: skipped \(new) gradient step(s) with a non-finite loss or gradient at learner step \(learnerStep) "
                       + "(environment step \(environmentStep)); the next step was finite")
        }
        if rowStart == nil {
            rowStart = (learnerStep, environmentStep, try save())
        }
        log("herd train: skipped \(new) gradient step(s) with a non-finite loss or gradient at learner step \(learnerStep) "
            + "(environment step \(environmentStep)); \(guardState.consecutive) in a row, limit \(limit)")
        if guardState.consecutive >= limit, let start = rowStart {
            throw RunError.nonFinite(consecutive: guardState.consecutive, firstLearnerStep: start.learnerStep,
                                     environmentStep: start.environmentStep, checkpoint: start.checkpoint.path)
        }
    }
}
