import Foundation

/// A line chart of several named series, rendered as SVG: axes with "nice"
/// ticks (1, 2, 5 × 10ᵏ), axis labels with units, a legend, one colour per
/// series (the colour-blind-safe Okabe–Ito palette).
public struct LinePlot {
    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    public var width = 760.0
    public var height = 460.0

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

    static func label(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e6 { return trimmed(v / 1e6) + "M" }
        if a >= 1e4 { return trimmed(v / 1e3) + "k" }
        return trimmed(v)
    }

    static func trimmed(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(format: "%.2f", v).replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
    }

    /// The chart as an SVG document.
    public var svg: String {
        let left = 78.0, right = 20.0, top = 44.0, bottom = 58.0
        let plotW = width - left - right, plotH = height - top - bottom
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        var xLow = all.map(\.x).min() ?? 0, xHigh = all.map(\.x).max() ?? 1
        var yLow = all.map(\.y).min() ?? 0, yHigh = all.map(\.y).max() ?? 1
        if xHigh <= xLow { xHigh = xLow + 1 }
        if yHigh <= yLow { yLow -= 1; yHigh += 1 }
        let xTicks = Self.ticks(min(0, xLow), xHigh), yTicks = Self.ticks(yLow, yHigh)
        xLow = min(xTicks.first ?? xLow, xLow); xHigh = max(xTicks.last ?? xHigh, xHigh)
        yLow = min(yTicks.first ?? yLow, yLow); yHigh = max(yTicks.last ?? yHigh, yHigh)
        func px(_ x: Double) -> Double { left + (x - xLow) / (xHigh - xLow) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y - yLow) / (yHigh - yLow) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(width / 2))" y="24" text-anchor="middle" font-size="15">\(escape(title))</text>

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
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 14))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text transform=\"translate(18 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        for (i, line) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            let points = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            if points.count == 1 {
                s += "<circle cx=\"\(f(px(points[0].x)))\" cy=\"\(f(py(points[0].y)))\" r=\"3\" fill=\"\(color)\"/>\n"
            } else if !points.isEmpty {
                let path = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            }
            let ly = top + 14 + Double(i) * 18
            s += "<line x1=\"\(f(left + 12))\" y1=\"\(f(ly))\" x2=\"\(f(left + 36))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"3\"/>\n"
            s += "<text x=\"\(f(left + 42))\" y=\"\(f(ly + 4))\">\(escape(line.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    private func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
