/// The figures every run writes to `metrics.jsonl` whatever its agent:
/// episodes, throughput, the device, the pool and fleet, evaluation.
public enum RunMetrics {
    public static let step = Metric("step", tag: nil, .steps, "Environment steps so far, summed over environments (the x axis).")
    public static let wallSeconds = Metric("wall_seconds", tag: nil, .seconds, "Wall-clock seconds of training so far, across resumes.")
    public static let updates = Metric("updates", tag: nil, .count, "Learner updates so far (PPO: one per rollout; others: one per gradient step).")
    public static let episodeReturnMean = Metric("episode_return_mean", tag: "episode/return_mean", .episodeReturn,
                                                 "Mean undiscounted return of the training episodes that ended in the interval.")
    public static let episodeLengthMean = Metric("episode_length_mean", tag: "episode/length_mean", .steps,
                                                 "Mean length of those episodes.")
    public static let episodes = Metric("episodes", tag: "episode/count", .count,
                                        "Training episodes that ended in the interval (episodes cut by a worker's replacement are not counted).")
    public static let stepsPerSecond = Metric("steps_per_second", tag: "perf/steps_per_second", .stepsPerSecond,
                                              "Environment steps per wall-clock second over the interval (acting, stepping and learning).")
    public static let deviceBusySeconds = Metric("device_busy_seconds", tag: "device/busy_seconds", .seconds,
                                                 "Simulated device time charged so far by the cost model (0 on the CPU).")
    public static let deviceUtilization = Metric("device_utilization", tag: "device/utilization", .fraction,
                                                 "Share of the simulated matrix unit's peak used by the kernels so far.")
    public static let deviceBytesToDevice = Metric("device_bytes_to_device", tag: "device/bytes_to_device", .bytes,
                                                   "Bytes copied from the host to the simulated device so far.")
    public static let deviceBytesToHost = Metric("device_bytes_to_host", tag: "device/bytes_to_host", .bytes,
                                                 "Bytes copied from the simulated device to the host so far.")
    public static let workersReplaced = Metric("workers_replaced", tag: "pool/workers_replaced", .count,
                                               "Local worker processes that died or hung and were replaced, so far.")
    public static let badFrames = Metric("bad_frames", tag: "pool/bad_frames", .count,
                                         "Frames from workers dropped as malformed or unexpected, so far.")
    public static let workerErrors = Metric("worker_errors", tag: "pool/worker_errors", .count,
                                            "Error messages from workers, so far (each worker was replaced or lost its place).")
    public static let remoteJoined = Metric("remote_joined", tag: "fleet/remote_joined", .count,
                                            "Remote workers that took a place, so far (only when the run listens).")
    public static let remoteLost = Metric("remote_lost", tag: "fleet/remote_lost", .count,
                                          "Remote workers that left or went silent, so far (only when the run listens).")
    public static let peersOverLimit = Metric("peers_over_limit", tag: "fleet/peers_over_limit", .count,
                                              "Remote peers disconnected for going over a limit, so far (only when the run listens).")
    public static let curveRefused = Metric("curve_refused", tag: "fleet/curve_refused", .count,
                                            "Connections refused by CURVE authentication, so far (only with CURVE).")
    public static let nonFiniteSkipped = Metric("nonfinite_skipped", tag: "learner/nonfinite_skipped", .count,
                                                "Gradient steps skipped for a non-finite loss or gradient, so far.")
    public static let evalReturnMean = Metric("eval_return_mean", tag: "eval/return_mean", .episodeReturn,
                                              "Mean return of the evaluation episodes (only on lines with an evaluation).")
    public static let evalReturnStd = Metric("eval_return_std", tag: "eval/return_std", .episodeReturn,
                                             "Standard deviation of the evaluation returns.")
    public static let evalLengthMean = Metric("eval_length_mean", tag: "eval/length_mean", .steps,
                                              "Mean length of the evaluation episodes.")

    /// Written before the agent's figures.
    static let leading: [Metric] = [step, wallSeconds, updates, episodes, episodeReturnMean, episodeLengthMean]
    /// Written after them.
    static let trailing: [Metric] = [
        stepsPerSecond, deviceBusySeconds, deviceUtilization, deviceBytesToDevice, deviceBytesToHost,
        workersReplaced, badFrames, workerErrors, remoteJoined, remoteLost, peersOverLimit, curveRefused, nonFiniteSkipped,
        evalReturnMean, evalReturnStd, evalLengthMean,
    ]
    public static let all = leading + trailing
}

/// Figures that several learners report under the same key.
public enum LearnerMetrics {
    public static let policyLoss = Metric("policy_loss", tag: "loss/policy", .value, "Policy loss, mean over the interval's learner steps.")
    public static let valueLoss = Metric("value_loss", tag: "loss/value", .value,
                                         "Value (baseline, critic or TD) loss, mean over the interval's learner steps.")
    public static let entropy = Metric("entropy", tag: "loss/entropy", .nats, "Mean entropy of the policy on the training batches.")
    public static let learningRate = Metric("learning_rate", tag: "train/learning_rate", .value, "Learning rate of the last step.")
    public static let gradientNorm = Metric("gradient_norm", tag: "train/gradient_norm", .value,
                                            "Global gradient norm before clipping, mean over the interval.")
    public static let explainedVariance = Metric("explained_variance", tag: "train/explained_variance", .fraction,
                                                 "1 − Var(return − value) / Var(return) on the training batches.")
    public static let learnerStepsPerSecond = Metric("learner_steps_per_second", tag: "perf/learner_steps_per_second", .stepsPerSecond,
                                                     "Learner steps per wall-clock second over the interval.")
}
