import Foundation

/// A line chart of several named series, rendered as SVG: axes with "nice"
/// ticks (1, 2, 5 × 10ᵏ, or decades on a logarithmic x axis) labelled as
/// people write them (2k, 1.5M), axis labels with units, one colour per
/// series (the colour-blind-safe Okabe–Ito palette, then dashed), an
/// optional shaded band per series, and a legend beside the plot, where no
/// curve runs.
public struct LinePlot {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        /// A shaded band around the line (e.g. the range over seeds), or empty.
        public var band: [(x: Double, low: Double, high: Double)]
        public init(name: String, points: [(x: Double, y: Double)], band: [(x: Double, low: Double, high: Double)] = []) {
            self.name = name
            self.points = points
            self.band = band
        }

        /// The mean of `runs` at the steps of the first run, each other run
        /// linearly interpolated there (steps outside a run's range leave it
        /// out), with the band from the least to the greatest of them.
        public static func aggregate(_ runs: [[(x: Double, y: Double)]], name: String) -> Series {
            guard let grid = runs.first?.map(\.x) else { return Series(name: name, points: []) }
            var points: [(x: Double, y: Double)] = [], band: [(x: Double, low: Double, high: Double)] = []
            for x in grid {
                let values = runs.compactMap { interpolate($0, at: x) }
                guard !values.isEmpty else { continue }
                points.append((x, values.reduce(0, +) / Double(values.count)))
                band.append((x, values.min()!, values.max()!))
            }
            return Series(name: name, points: points, band: band)
        }

        static func interpolate(_ points: [(x: Double, y: Double)], at x: Double) -> Double? {
            guard let first = points.first, let last = points.last, x >= first.x, x <= last.x else { return nil }
            guard let i = points.firstIndex(where: { $0.x >= x }) else { return nil }
            if points[i].x == x || i == 0 { return points[i].y }
            let (a, b) = (points[i - 1], points[i])
            return a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x)
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 760.0
    public var height = 460.0
    /// A logarithmic x axis (points at x ≤ 0 are left out).
    public var logX = false

    public init(title: String, xLabel: String, yLabel: String, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    static let palette = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

    /// Tick positions from a multiple of the step at or below `low` to one at
    /// or above `high`, about `count` steps apart.
    public static func ticks(_ low: Double, _ high: Double, count: Int = 6) -> [Double] {
        guard high > low, low.isFinite, high.isFinite else { return [low] }
        let raw = (high - low) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var out: [Double] = []
        var v = floor(low / step + 1e-9) * step
        while v < high + step * (1 - 1e-9) {
            out.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return out
    }

    /// Decades 10ᵏ from at or below `low` to at or above `high` (both > 0),
    /// with 2·10ᵏ and 5·10ᵏ between them when there are fewer than three.
    public static func logTicks(_ low: Double, _ high: Double) -> [Double] {
        guard low > 0, high > low, low.isFinite, high.isFinite else { return [max(low, 1)] }
        let first = Int(floor(log10(low) + 1e-9)), last = Int(ceil(log10(high) - 1e-9))
        let decades = (first...max(last, first + 1)).map { pow(10, Double($0)) }
        guard decades.count < 4 else { return decades }
        return decades.flatMap { [$0, 2 * $0, 5 * $0] }.filter { $0 <= decades.last! }
    }

    /// A tick label as people write it: 500, 2k, 1.5M, 0.25.
    public static func label(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return trimmed(v / 1e9) + "G" }
        if a >= 1e6 { return trimmed(v / 1e6) + "M" }
        if a >= 1e3 { return trimmed(v / 1e3) + "k" }
        return trimmed(v)
    }

    static func trimmed(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(format: "%.2f", v).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
    }

    /// The chart as an SVG document.
    public var svg: String {
        func drawn(_ x: Double) -> Bool { x.isFinite && (!logX || x > 0) }
        let lines = series.map { line in
            Series(name: line.name, points: line.points.filter { drawn($0.x) && $0.y.isFinite },
                   band: line.band.filter { drawn($0.x) && $0.low.isFinite && $0.high.isFinite })
        }
        // The legend sits right of the plot: as wide as its longest name (about 7 px a character).
        let legendWidth = 48 + 7 * Double(lines.map(\.name.count).max() ?? 0)
        let left = 78.0, right = 20.0 + legendWidth, top = 44.0, bottom = 58.0
        let canvasWidth = width + legendWidth
        let plotW = canvasWidth - left - right, plotH = height - top - bottom
        let xs = lines.flatMap { $0.points.map(\.x) + $0.band.map(\.x) }
        let ys = lines.flatMap { $0.points.map(\.y) + $0.band.flatMap { [$0.low, $0.high] } }
        var xLow = xs.min() ?? (logX ? 1 : 0), xHigh = xs.max() ?? (logX ? 10 : 1)
        var yLow = ys.min() ?? 0, yHigh = ys.max() ?? 1
        if xHigh <= xLow { xHigh = logX ? xLow * 10 : xLow + 1 }
        if yHigh <= yLow { yLow -= 1; yHigh += 1 }
        let xTicks = logX ? Self.logTicks(xLow, xHigh) : Self.ticks(min(0, xLow), xHigh), yTicks = Self.ticks(yLow, yHigh)
        xLow = min(xTicks.first ?? xLow, xLow); xHigh = max(xTicks.last ?? xHigh, xHigh)
        yLow = min(yTicks.first ?? yLow, yLow); yHigh = max(yTicks.last ?? yHigh, yHigh)
        let scale: (Double) -> Double = logX ? { log10($0) } : { $0 }
        func px(_ x: Double) -> Double { left + (scale(x) - scale(xLow)) / (scale(xHigh) - scale(xLow)) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y - yLow) / (yHigh - yLow) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(canvasWidth))" height="\(Int(height))" viewBox="0 0 \(Int(canvasWidth)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + plotW / 2))" y="24" text-anchor="middle" font-size="15">\(escape(title))</text>

        """
        for t in xTicks {
            s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + plotH))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(f(px(t)))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(Self.label(t))</text>\n"
        }
        for t in yTicks {
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>\n"
            s += "<text x=\"\(f(left - 8))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(Self.label(t))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\">\(escape(xLabel))\(logX ? " (log scale)" : "")</text>\n"
        s += "<text transform=\"translate(18 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (i, line) in lines.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            // Past the palette, colours repeat dashed, so no two series look alike.
            let dash = i >= Self.palette.count ? " stroke-dasharray=\"6 3\"" : ""
            if line.band.count > 1 {
                let outline = line.band.map { "\(f(px($0.x))),\(f(py($0.high)))" } + line.band.reversed().map { "\(f(px($0.x))),\(f(py($0.low)))" }
                s += "<polygon fill=\"\(color)\" fill-opacity=\"0.2\" stroke=\"none\" points=\"\(outline.joined(separator: " "))\"/>\n"
            }
            if line.points.count == 1 {
                s += "<circle cx=\"\(f(px(line.points[0].x)))\" cy=\"\(f(py(line.points[0].y)))\" r=\"3\" fill=\"\(color)\"/>\n"
            } else if !line.points.isEmpty {
                let path = line.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(path)\"/>\n"
            }
            let lx = left + plotW + 14, ly = top + 8 + Double(i) * 18
            s += "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 24))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"3\"\(dash)/>\n"
            s += "<text x=\"\(f(lx + 30))\" y=\"\(f(ly + 4))\">\(escape(line.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
