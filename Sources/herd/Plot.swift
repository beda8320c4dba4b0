import ArgumentParser
import Foundation
import HerdTraining

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw learning curves of one or more runs as SVG.",
        discussion: """
        Reads each run's metrics.jsonl and draws a metric (default: the mean training episode \
        return per log interval) against environment steps or wall-clock seconds, one line per run.
        """)

    @Argument(help: "Run directories.")
    var runs: [String]

    @Option(help: "Output file (.svg).")
    var out: String

    @Option(help: "metrics.jsonl field to draw (e.g. episode_return_mean, eval_return_mean).")
    var metric = "episode_return_mean"

    @Option(help: "Horizontal axis: steps or wall_seconds.")
    var x = "steps"

    @Option(help: "Chart title.")
    var title: String?

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
        guard ["steps", "wall_seconds"].contains(x) else { throw ValidationError("--x must be steps or wall_seconds") }
        guard out.hasSuffix(".svg") else { throw ValidationError("--out must name an .svg file") }
    }

    func run() throws {
        var series: [LinePlot.Series] = []
        for run in runs {
            let url = RunDirectory(url: URL(fileURLWithPath: run)).metrics
            let records: [[String: Double]]
            do {
                records = try MetricsLog.read(url)
            } catch {
                throw CommandError("\(error)")
            }
            let xKey = x == "steps" ? "step" : "wall_seconds"
            let points = records.compactMap { r -> (x: Double, y: Double)? in
                guard let xv = r[xKey], let yv = r[metric] else { return nil }
                return (xv, yv)
            }
            if points.isEmpty { throw CommandError("\(url.path) has no '\(metric)' values") }
            series.append(LinePlot.Series(name: URL(fileURLWithPath: run).standardized.lastPathComponent, points: points))
        }
        let plot = LinePlot(title: title ?? metric.replacingOccurrences(of: "_", with: " "),
                            xLabel: x == "steps" ? "environment steps" : "wall-clock time (s)",
                            yLabel: metric.hasSuffix("return_mean") ? "mean episode return" : metric, series: series)
        do {
            try Data(plot.svg.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw CommandError("cannot write \(out): \(error.localizedDescription)")
        }
        print("wrote \(out)")
    }
}
