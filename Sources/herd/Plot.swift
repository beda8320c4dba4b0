import ArgumentParser
import Foundation
import HerdTraining

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw learning curves of one or more runs as SVG.",
        discussion: """
        Reads each run's metrics.jsonl and draws a metric (default: the mean training episode \
        return per log interval) against environment steps or wall-clock seconds, one line per run. \
        With --group-by config, runs whose resolved configs differ only in their seed (as \
        `herd train --seeds` writes them) are drawn as one line, their mean, with a band from the \
        least to the greatest of them.
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

    @Option(name: .customLong("group-by"), help: "none (a line per run) or config (a line per config, the mean over its seeds with their range as a band).")
    var groupBy = "none"

    @Flag(name: .customLong("log-x"), help: "A logarithmic horizontal axis.")
    var logX = false

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
        guard ["steps", "wall_seconds"].contains(x) else { throw ValidationError("--x must be steps or wall_seconds") }
        guard out.hasSuffix(".svg") else { throw ValidationError("--out must name an .svg file") }
        guard ["none", "config"].contains(groupBy) else { throw ValidationError("--group-by must be none or config") }
    }

    func run() throws {
        var curves: [(name: String, group: String, configName: String, points: [(x: Double, y: Double)])] = []
        for run in runs {
            let directory = RunDirectory(url: URL(fileURLWithPath: run))
            let records: [[String: Double]]
            do {
                records = try MetricsLog.read(directory.metrics)
            } catch {
                throw CommandError("\(error)")
            }
            let xKey = x == "steps" ? "step" : "wall_seconds"
            let points = records.compactMap { r -> (x: Double, y: Double)? in
                guard let xv = r[xKey], let yv = r[metric] else { return nil }
                return (xv, yv)
            }
            if points.isEmpty { throw CommandError("\(directory.metrics.path) has no '\(metric)' values") }
            let name = URL(fileURLWithPath: run).standardized.lastPathComponent
            guard groupBy == "config" else {
                curves.append((name, name, name, points))
                continue
            }
            curves.append((name, try Self.configWithoutSeed(directory), (try? TrainConfig.load(directory.config))?.name ?? name, points))
        }
        var series: [LinePlot.Series] = []
        if groupBy == "config" {
            var order: [String] = []
            for curve in curves where !order.contains(curve.group) { order.append(curve.group) }
            let names = Self.groupNames(order.map { group in (curves.first { $0.group == group }!.configName, group) })
            for (group, name) in zip(order, names) {
                let members = curves.filter { $0.group == group }
                let label = members.count == 1 ? name : "\(name) (mean of \(members.count), band: min–max)"
                series.append(.aggregate(members.map(\.points), name: label))
            }
        } else {
            series = curves.map { LinePlot.Series(name: $0.name, points: $0.points) }
        }
        var plot = LinePlot(title: title ?? metric.replacingOccurrences(of: "_", with: " "),
                            xLabel: x == "steps" ? "environment steps" : "wall-clock time (s)",
                            yLabel: metric.hasSuffix("return_mean") ? "mean episode return" : metric, series: series)
        plot.logX = logX
        do {
            try Data(plot.svg.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw CommandError("cannot write \(out): \(error.localizedDescription)")
        }
        print("wrote \(out)")
    }

    /// A legend name per group: its config's name, and where several groups
    /// share a name, the settings in which their configs differ
    /// (`cartpole_r2d2 r2d2.replay_ratio=8.0`), or `#2`, `#3` if none is found.
    static func groupNames(_ groups: [(name: String, config: String)]) -> [String] {
        let settings = groups.map { flattened($0.config) }
        var uses: [String: Int] = [:]
        return groups.indices.map { i in
            let name = groups[i].name
            let peers = groups.indices.filter { groups[$0].name == name }
            guard peers.count > 1 else { return name }
            let keys = Set(peers.flatMap { settings[$0].keys }).filter { key in Set(peers.map { settings[$0][key] ?? "—" }).count > 1 }.sorted()
            if keys.isEmpty {
                uses[name, default: 0] += 1
                return uses[name]! > 1 ? "\(name) #\(uses[name]!)" : name
            }
            return name + " " + keys.map { "\($0)=\(settings[i][$0] ?? "—")" }.joined(separator: ", ")
        }
    }

    /// A resolved config's `section.key` → value, from its YAML as
    /// ConfigCoder writes it (two-space indents, one key per line; list items skipped).
    static func flattened(_ yaml: String) -> [String: String] {
        var path: [(indent: Int, key: String)] = [], out: [String: String] = [:]
        for line in yaml.split(separator: "\n") {
            let indent = line.prefix { $0 == " " }.count
            let body = line.dropFirst(indent)
            guard !body.hasPrefix("#"), !body.hasPrefix("-"), let colon = body.firstIndex(of: ":") else { continue }
            let key = String(body[..<colon])
            let value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            while let last = path.last, last.indent >= indent { path.removeLast() }
            let full = (path.map(\.key) + [key]).joined(separator: ".")
            if value.isEmpty { path.append((indent, key)) } else { out[full] = value }
        }
        return out
    }

    /// A run's resolved config without its top-level `seed:` line: runs
    /// that differ only in their seed have the same.
    static func configWithoutSeed(_ run: RunDirectory) throws -> String {
        guard let text = try? String(contentsOf: run.config, encoding: .utf8) else {
            throw CommandError("--group-by config: \(run.config.path) cannot be read (every run directory holds its resolved config)")
        }
        return text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("seed:") }.joined(separator: "\n")
    }
}
