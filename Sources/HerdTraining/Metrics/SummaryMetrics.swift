/// The fields of `summary.json` every run writes at its end; an agent adds
/// its own (``Agent/summaryMetrics``).
public enum SummaryMetrics {
    public static let name = Metric("name", tag: nil, .text, "The run's name (config `name`).")
    public static let agent = Metric("agent", tag: nil, .text, "The config's `agent`.")
    public static let environment = Metric("environment", tag: nil, .text, "The environment's name.")
    public static let environments = Metric("environments", tag: nil, .count, "Environments stepped (local and remote places).")
    public static let device = Metric("device", tag: nil, .text, "The learner's device (cpu or a simulated profile).")
    public static let seed = Metric("seed", tag: nil, .count, "The run's seed.")
    public static let steps = Metric("steps", tag: nil, .steps, "Environment steps at the end.")
    public static let updates = Metric("updates", tag: nil, .count, "Learner updates at the end.")
    public static let episodes = Metric("episodes", tag: nil, .count, "Training episodes finished, across resumes.")
    public static let wallSeconds = Metric("wall_seconds", tag: nil, .seconds, "Wall-clock seconds of training, across resumes.")
    public static let stepsPerSecond = Metric("steps_per_second", tag: nil, .stepsPerSecond, "Environment steps per wall-clock second.")
    public static let collectSeconds = Metric("collect_seconds", tag: nil, .seconds,
                                              "This session's seconds in the data source: stepping environments (lockstep) or waiting for unrolls.")
    public static let updateSeconds = Metric("update_seconds", tag: nil, .seconds,
                                             "This session's seconds in the agent outside its data source: acting (lockstep agents), replay and learner updates.")
    public static let evaluationSeconds = Metric("evaluation_seconds", tag: nil, .seconds, "This session's seconds in evaluations.")
    public static let episodeReturnMean = Metric("episode_return_mean", tag: nil, .episodeReturn,
                                                 "Mean return of the last interval's training episodes (or of the last 100).")
    public static let evaluationReturnLast = Metric("evaluation_return_last", tag: nil, .episodeReturn, "The last evaluation's mean return.")
    public static let evaluationReturnBest = Metric("evaluation_return_best", tag: nil, .episodeReturn, "The best evaluation's mean return.")
    public static let evaluationBestStep = Metric("evaluation_best_step", tag: nil, .steps,
                                                  "The step of the best evaluation, whose policy is `checkpoints/best.safetensors` (null: no evaluation).")
    public static let bestCheckpoint = Metric("best_checkpoint", tag: nil, .text,
                                              "The best evaluation's checkpoint, `checkpoints/best.safetensors` (null: no evaluation).")
    public static let targetReturn = Metric("target_return", tag: nil, .episodeReturn, "The config's `evaluation.target_return`.")
    public static let solvedAtStep = Metric("solved_at_step", tag: nil, .steps, "First step whose evaluation reached the target (null: never).")
    public static let solvedWallSeconds = Metric("solved_wall_seconds", tag: nil, .seconds, "Wall-clock seconds to that evaluation.")
    public static let workersReplaced = Metric("workers_replaced", tag: nil, .count, "Local workers replaced.")
    public static let badFrames = Metric("bad_frames", tag: nil, .count, "Frames from workers dropped as malformed or unexpected.")
    public static let workerErrors = Metric("worker_errors", tag: nil, .count, "Error messages from workers (each replaced or its place freed).")
    public static let peersOverLimit = Metric("peers_over_limit", tag: nil, .count, "Remote peers disconnected for going over a limit.")
    public static let remoteJoined = Metric("remote_joined", tag: nil, .count, "Remote workers that took a place (only when the run listens).")
    public static let remoteLost = Metric("remote_lost", tag: nil, .count, "Remote workers that left or went silent (only when the run listens).")
    public static let remoteRefused = Metric("remote_refused", tag: nil, .count,
                                             "Remote workers refused for want of a place (only when the run listens).")
    public static let remoteRefusedByAdmission = Metric("remote_refused_by_admission", tag: nil, .count,
                                                        "Of those, refused by admission control: their source took places too fast, or left them before serving.")
    public static let remoteReclaimed = Metric("remote_reclaimed", tag: nil, .count,
                                               "Places freed for a newcomer because their worker's connection had closed or its own source came back.")
    public static let curveAccepted = Metric("curve_accepted", tag: nil, .count, "CURVE handshakes accepted (only with CURVE).")
    public static let curveRefusedUnknownKey = Metric("curve_refused_unknown_key", tag: nil, .count,
                                                      "CURVE clients refused for a key not in `authorized_keys`.")
    public static let curveRefusedHandshake = Metric("curve_refused_handshake", tag: nil, .count, "CURVE handshakes that failed.")
    public static let curveTurnedAway = Metric("curve_turned_away", tag: nil, .count,
                                               "Handshakes of authorised keys held and then failed because admission control still barred the key (told once with error 5).")
    public static let deviceBusySeconds = Metric("device_busy_seconds", tag: nil, .seconds, "Simulated device time charged in this session.")
    public static let deviceUtilization = Metric("device_utilization", tag: nil, .fraction, "Share of the simulated matrix unit's peak used.")
    public static let deviceBytesToDevice = Metric("device_bytes_to_device", tag: nil, .bytes, "Bytes copied to the simulated device.")
    public static let deviceBytesToHost = Metric("device_bytes_to_host", tag: nil, .bytes, "Bytes copied from the simulated device.")
    public static let stoppedBySignal = Metric("stopped_by_signal", tag: nil, .flag, "Whether SIGINT or SIGTERM ended the run.")
    public static let stoppedByError = Metric("stopped_by_error", tag: nil, .text,
                                              "What ended the run early when the pool could not go on (null: it did not).")
    public static let checkpoint = Metric("checkpoint", tag: nil, .text, "The final checkpoint's path.")
    public static let herdVersion = Metric("herd_version", tag: nil, .text, "The Herd version that trained.")

    public static let all: [Metric] = [
        name, agent, environment, environments, device, seed, steps, updates, episodes, wallSeconds, stepsPerSecond,
        collectSeconds, updateSeconds, evaluationSeconds, episodeReturnMean, evaluationReturnLast, evaluationReturnBest,
        evaluationBestStep, bestCheckpoint, targetReturn, solvedAtStep, solvedWallSeconds, workersReplaced, badFrames, workerErrors, peersOverLimit, remoteJoined, remoteLost,
        remoteRefused, remoteRefusedByAdmission, remoteReclaimed, curveAccepted, curveRefusedUnknownKey, curveRefusedHandshake, curveTurnedAway, deviceBusySeconds, deviceUtilization,
        deviceBytesToDevice, deviceBytesToHost, stoppedBySignal, stoppedByError, checkpoint, herdVersion,
    ]
}
