import Foundation

/// Set by SIGINT/SIGTERM; read by the training loop between steps.
nonisolated(unsafe) private var stopFlag: sig_atomic_t = 0

/// Turns SIGINT (Ctrl-C) and SIGTERM into a request to stop: the training
/// loop notices it between updates, writes a checkpoint and exits 0. A second
/// signal while stopping exits at once with status 130.
public enum StopSignal {
    public static func install() {
        stopFlag = 0
        let handler: @convention(c) (Int32) -> Void = { _ in
            if stopFlag != 0 { _exit(130) }
            stopFlag = 1
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// Whether a stop was requested.
    public static var requested: Bool { stopFlag != 0 }
}
