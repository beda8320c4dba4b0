import Foundation

/// Set by SIGINT/SIGTERM; read by the training loop between steps.
nonisolated(unsafe) private var stopFlag: sig_atomic_t = 0
/// When the first signal came (CLOCK_MONOTONIC nanoseconds), for the handler.
nonisolated(unsafe) private var firstSignalNanoseconds: UInt64 = 0

/// Monotonic nanoseconds; `clock_gettime` is async-signal-safe.
private func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// Turns SIGINT (Ctrl-C) and SIGTERM into a request to stop: the training
/// loop notices it between updates, writes a checkpoint and exits 0.
/// Signals within a second of the first are the same request: GNU `timeout`,
/// Slurm and Kubernetes signal the process and then its whole group, and a
/// terminal's Ctrl-C reaches every process of the foreground group. A
/// signal after that second exits at once with status 130.
public enum StopSignal {
    /// Signals this long after the first still count as the same request.
    static let sameRequestNanoseconds: UInt64 = 1_000_000_000

    public static func install() {
        stopFlag = 0
        let handler: @convention(c) (Int32) -> Void = { _ in
            let now = monotonicNanoseconds()
            if stopFlag != 0 {
                if now - firstSignalNanoseconds > StopSignal.sameRequestNanoseconds { _exit(130) }
                return
            }
            firstSignalNanoseconds = now
            stopFlag = 1
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// Whether a stop was requested.
    public static var requested: Bool { stopFlag != 0 }
}
