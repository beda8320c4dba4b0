/// What a metric's number measures, for readers of the docs.
public enum MetricUnit: String, Sendable, CaseIterable {
    case count, steps, seconds, milliseconds, bytes
    case stepsPerSecond = "per second"
    case fraction
    /// Undiscounted episode return (the environment's reward units).
    case episodeReturn = "return"
    /// A loss, a value estimate or another learner figure without a unit of its own.
    case value
    case nats
    case text
    case flag
}

/// One figure a run reports, declared once next to the statistics it
/// comes from: its key in `metrics.jsonl` and `summary.json`, its
/// TensorBoard tag (nil: not sent to TensorBoard), its unit and a one-line
/// meaning. Every sink and `docs/metrics.md` read these declarations, so
/// a figure that is not declared cannot be written.
public struct Metric: Hashable, Sendable {
    public let key: String
    public let tag: String?
    public let unit: MetricUnit
    public let meaning: String

    public init(_ key: String, tag: String?, _ unit: MetricUnit, _ meaning: String) {
        self.key = key
        self.tag = tag
        self.unit = unit
        self.meaning = meaning
    }
}

/// Values of declared metrics, in the order they were set (the order of a
/// `metrics.jsonl` line). NaN means "no value this interval" and is
/// written as `null` and left out of TensorBoard.
public struct MetricValues: Sendable {
    public private(set) var entries: [(metric: Metric, value: Double)] = []

    public init() {}

    public subscript(_ metric: Metric) -> Double? {
        get { entries.first { $0.metric.key == metric.key }?.value }
        set {
            if let i = entries.firstIndex(where: { $0.metric.key == metric.key }) {
                if let newValue { entries[i].value = newValue } else { entries.remove(at: i) }
            } else if let newValue {
                entries.append((metric, newValue))
            }
        }
    }

    /// Adds `other`'s values (replacing equal keys).
    public mutating func merge(_ other: MetricValues) {
        for (metric, value) in other.entries { self[metric] = value }
    }

    /// The mean of `f` over `items`, NaN when there are none.
    public static func mean<T>(_ items: [T], _ f: (T) -> Double) -> Double {
        items.isEmpty ? .nan : items.map(f).reduce(0, +) / Double(items.count)
    }
}
