import Foundation
import HerdCore

/// Results of one config over several seeds (`herd train --seeds`), the
/// table rl-zoo users read: per seed the final and best evaluation, the
/// final training return and the speed; across seeds the mean, standard
/// deviation, interquartile mean, minimum and maximum.
public struct SeedTable {
    public struct Row {
        public var seed: Int
        public var run: URL
        public var finalEvaluation: Double?
        public var bestEvaluation: Double?
        public var trainingReturn: Double?
        public var stepsPerSecond: Double
    }

    public var rows: [Row] = []
    public init() {}

    public mutating func add(seed: Int, run: URL, summary: TrainingSummary) {
        rows.append(Row(seed: seed, run: run, finalEvaluation: summary.counters.lastEvaluationReturn,
                        bestEvaluation: summary.counters.bestEvaluationReturn, trainingReturn: summary.finalReturnMean,
                        stepsPerSecond: summary.stepsPerSecond))
    }

    /// Seeds from `0-4`, `0,2,7` or a mix (`0-2,5`), in order, without repeats.
    public static func parseSeeds(_ text: String) -> [Int]? {
        var seeds: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            if bounds.count == 1, let one = Int(bounds[0]), one >= 0 {
                seeds.append(one)
            } else if bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]), 0 <= low, low <= high, high - low < 10_000 {
                seeds += Array(low...high)
            } else {
                return nil
            }
        }
        var seen = Set<Int>()
        let unique = seeds.filter { seen.insert($0).inserted }
        return unique.isEmpty ? nil : unique
    }

    /// Mean, population standard deviation, interquartile mean (the mean
    /// after dropping ⌊n/4⌋ values at each end, as `scipy.stats.trim_mean(x,
    /// 0.25)` and rliable's IQM), minimum and maximum; nil without values.
    public static func statistics(_ values: [Double]) -> (mean: Double, std: Double, iqm: Double, min: Double, max: Double)? {
        guard !values.isEmpty else { return nil }
        let n = Double(values.count), mean = values.reduce(0, +) / n
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        let sorted = values.sorted(), cut = values.count / 4
        let middle = sorted[cut..<(sorted.count - cut)]
        return (mean, std, middle.reduce(0, +) / Double(middle.count), sorted.first!, sorted.last!)
    }

    /// The table as Markdown.
    public var markdown: String {
        func cell(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "–" }
        var lines = ["| seed | final evaluation | best evaluation | training return | steps/s | run |", "|---|---|---|---|---|---|"]
        for r in rows {
            lines.append("| \(r.seed) | \(cell(r.finalEvaluation)) | \(cell(r.bestEvaluation)) | \(cell(r.trainingReturn)) | "
                         + String(format: "%.0f", r.stepsPerSecond) + " | \(r.run.lastPathComponent) |")
        }
        lines.append("")
        lines.append("| across seeds | mean | std | IQM | min | max |")
        lines.append("|---|---|---|---|---|---|")
        for (label, values) in [("final evaluation", rows.compactMap(\.finalEvaluation)), ("best evaluation", rows.compactMap(\.bestEvaluation)),
                                ("training return", rows.compactMap(\.trainingReturn))] {
            guard let s = Self.statistics(values) else { lines.append("| \(label) | – | – | – | – | – |"); continue }
            lines.append("| \(label) (\(values.count) seeds) | \(cell(s.mean)) | \(cell(s.std)) | \(cell(s.iqm)) | \(cell(s.min)) | \(cell(s.max)) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `{"seeds": [{seed, run, final_evaluation, best_evaluation, training_return, steps_per_second}, …]}`.
    public var json: String {
        func number(_ v: Double?) -> String { v.map(jsonNumber) ?? "null" }
        let items = rows.map { r in
            "{\"seed\": \(r.seed), \"run\": \(jsonQuoted(r.run.path)), \"final_evaluation\": \(number(r.finalEvaluation)), "
                + "\"best_evaluation\": \(number(r.bestEvaluation)), \"training_return\": \(number(r.trainingReturn)), "
                + "\"steps_per_second\": \(number(r.stepsPerSecond))}"
        }
        return "{\"seeds\": [\n  " + items.joined(separator: ",\n  ") + "\n]}\n"
    }
}
