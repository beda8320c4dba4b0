import HerdAgents
import HerdRuntime
import HerdTensor

/// The fields of `metrics.jsonl` and their TensorBoard tags.
public enum TrainingMetrics {
    /// JSON key → TensorBoard tag, in the order they are written.
    public static let tags: [(key: String, tag: String)] = [
        ("episode_return_mean", "episode/return_mean"),
        ("episode_length_mean", "episode/length_mean"),
        ("episodes", "episode/count"),
        ("policy_loss", "loss/policy"),
        ("value_loss", "loss/value"),
        ("entropy", "loss/entropy"),
        ("kl", "ppo/kl"),
        ("clip_fraction", "ppo/clip_fraction"),
        ("kl_penalty", "ppo/kl_penalty"),
        ("learning_rate", "ppo/learning_rate"),
        ("gradient_norm", "ppo/gradient_norm"),
        ("explained_variance", "ppo/explained_variance"),
        ("mean_rho", "vtrace/mean_rho"),
        ("clipped_rho_fraction", "vtrace/clipped_rho_fraction"),
        ("policy_lag_mean", "vtrace/policy_lag_mean"),
        ("policy_lag_max", "vtrace/policy_lag_max"),
        ("inference_batch_mean", "inference/batch_mean"),
        ("inference_latency_p50_ms", "inference/latency_p50_ms"),
        ("inference_latency_p99_ms", "inference/latency_p99_ms"),
        ("unrolls_discarded", "inference/unrolls_discarded"),
        ("queue_blocked_seconds", "inference/queue_blocked_seconds"),
        ("td_error_mean", "r2d2/td_error_mean"),
        ("q_mean", "r2d2/q_mean"),
        ("replay_size", "r2d2/replay_size"),
        ("replay_priority_mean", "r2d2/replay_priority_mean"),
        ("sequence_age_mean", "r2d2/sequence_age_mean"),
        ("steps_per_second", "perf/steps_per_second"),
        ("learner_steps_per_second", "perf/learner_steps_per_second"),
        ("device_busy_seconds", "device/busy_seconds"),
        ("device_utilization", "device/utilization"),
        ("device_bytes_to_device", "device/bytes_to_device"),
        ("device_bytes_to_host", "device/bytes_to_host"),
        ("workers_replaced", "pool/workers_replaced"),
        ("bad_frames", "pool/bad_frames"),
        ("remote_joined", "fleet/remote_joined"),
        ("remote_lost", "fleet/remote_lost"),
        ("peers_over_limit", "fleet/peers_over_limit"),
        ("curve_refused", "fleet/curve_refused"),
        ("nonfinite_skipped", "learner/nonfinite_skipped"),
        ("eval_return_mean", "eval/return_mean"),
        ("eval_return_std", "eval/return_std"),
        ("eval_length_mean", "eval/length_mean"),
    ]

    static func record(step: Int, wallSeconds: Double, counters: TrainingCounters,
                       episodes: (meanReturn: Double, meanLength: Double, count: Int)?,
                       learner: [String: Double], stepsPerSecond: Double,
                       evaluation: EvaluationResult?, device: Device, pool: ProcessPool) -> MetricsRecord {
        var r = MetricsRecord()
        r["step"] = Double(step)
        r["wall_seconds"] = wallSeconds
        r["updates"] = Double(counters.updates)
        r["episodes"] = Double(episodes?.count ?? 0)
        r["episode_return_mean"] = episodes?.meanReturn ?? .nan
        r["episode_length_mean"] = episodes?.meanLength ?? .nan
        for (key, value) in learner.sorted(by: { $0.key < $1.key }) { r[key] = value }
        r["steps_per_second"] = stepsPerSecond
        let c = device.counters
        r["device_busy_seconds"] = c.busySeconds
        r["device_utilization"] = c.utilization
        r["device_bytes_to_device"] = Double(c.bytesToDevice)
        r["device_bytes_to_host"] = Double(c.bytesToHost)
        r["workers_replaced"] = Double(pool.workersReplaced)
        r["bad_frames"] = Double(pool.badFrames)
        if pool.listenEndpoint != nil {
            r["remote_joined"] = Double(pool.remoteJoined)
            r["remote_lost"] = Double(pool.remoteLost)
            r["peers_over_limit"] = Double(pool.peersOverLimit)
        }
        if let curve = pool.curveCounts { r["curve_refused"] = Double(curve.refused) }
        if let evaluation {
            r["eval_return_mean"] = evaluation.meanReturn
            r["eval_return_std"] = evaluation.stdReturn
            r["eval_length_mean"] = evaluation.meanLength
        }
        return r
    }

    /// PPO's update statistics averaged over a log interval (the last
    /// update's learning rate and KL penalty).
    static func averages(_ updates: [PPOUpdateStatistics]) -> [String: Double] {
        func mean(_ f: (PPOUpdateStatistics) -> Double) -> Double {
            updates.isEmpty ? .nan : updates.map(f).reduce(0, +) / Double(updates.count)
        }
        return ["policy_loss": mean(\.policyLoss), "value_loss": mean(\.valueLoss), "entropy": mean(\.entropy),
                "kl": mean(\.kl), "clip_fraction": mean(\.clipFraction), "kl_penalty": updates.last?.klPenalty ?? .nan,
                "learning_rate": updates.last?.learningRate ?? .nan, "gradient_norm": mean(\.gradientNorm),
                "explained_variance": mean(\.explainedVariance)]
    }

    /// V-trace learner statistics averaged over a log interval; the value
    /// loss is the baseline loss.
    static func averages(_ steps: [VTraceStepStatistics]) -> [String: Double] {
        func mean(_ f: (VTraceStepStatistics) -> Double) -> Double {
            steps.isEmpty ? .nan : steps.map(f).reduce(0, +) / Double(steps.count)
        }
        return ["policy_loss": mean(\.policyLoss), "value_loss": mean(\.baselineLoss), "entropy": mean(\.entropy),
                "learning_rate": steps.last?.learningRate ?? .nan, "gradient_norm": mean(\.gradientNorm),
                "explained_variance": mean(\.explainedVariance), "mean_rho": mean(\.meanRho),
                "clipped_rho_fraction": mean(\.clippedRhoFraction)]
    }

    /// The record's finite values under their TensorBoard tags.
    static func tensorBoardScalars(_ record: MetricsRecord) -> [(tag: String, value: Double)] {
        tags.compactMap { entry in record[entry.key].flatMap { $0.isFinite ? (entry.tag, $0) : nil } }
    }
}
