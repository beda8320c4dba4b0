import Foundation

/// Training progress on standard output: on a terminal one line redrawn in
/// place (at most a few times a second); otherwise a plain line per log
/// interval, for log files and CI.
public final class ProgressDisplay {
    public let isTerminal: Bool
    private var lastDraw = 0.0
    private var drawn = false

    public init(isTerminal: Bool = isatty(STDOUT_FILENO) != 0) {
        self.isTerminal = isTerminal
    }

    /// One progress line.
    public static func line(step: Int, totalSteps: Int, stepsPerSecond: Double, meanReturn: Double?,
                            elapsed: Double) -> String {
        // Whole iterations can overshoot the total: the share stops at 100%.
        let percent = min(100, 100 * Double(step) / Double(max(totalSteps, 1)))
        let remaining = stepsPerSecond > 0 ? Double(max(totalSteps - step, 0)) / stepsPerSecond : .nan
        let returnText = meanReturn.map(Self.returnText) ?? "–"
        let rate = String(format: "%.0f", stepsPerSecond), share = String(format: "%.0f", percent)
        return "step \(step)/\(totalSteps) (\(share)%)  \(rate) steps/s  return \(returnText)  "
            + "elapsed \(duration(elapsed))  ETA \(duration(remaining))"
    }

    /// A mean return with the digits its size needs: 195.8, 4.97, 0.045.
    public static func returnText(_ value: Double) -> String {
        let size = abs(value)
        return String(format: size >= 100 ? "%.1f" : size >= 1 ? "%.2f" : "%.3f", value)
    }

    /// Redraws the live line (terminal only, throttled).
    public func live(_ text: @autoclosure () -> String, now: Double = Date().timeIntervalSince1970) {
        guard isTerminal, now - lastDraw >= 0.25 else { return }
        lastDraw = now
        print("\r\u{1B}[2K" + text(), terminator: "")
        fflush(stdout)
        drawn = true
    }

    /// A line that stays: printed plainly when not on a terminal; on a
    /// terminal it replaces the live line only for messages (`always`).
    public func record(_ text: String, always: Bool = false) {
        if isTerminal {
            guard always else { return }
            print((drawn ? "\r\u{1B}[2K" : "") + text)
            drawn = false
        } else {
            print(text)
        }
        fflush(stdout)
    }

    /// Ends the live line.
    public func finish() {
        if isTerminal && drawn { print("") }
        drawn = false
        fflush(stdout)
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "–" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
