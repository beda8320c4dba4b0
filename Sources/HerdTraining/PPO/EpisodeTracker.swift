/// Per-environment running returns and lengths (raw rewards), and the
/// episodes that ended since the last ``drain()``.
public struct EpisodeTracker: Sendable {
    private var returns: [Double]
    private var lengths: [Int]
    public private(set) var finishedReturns: [Double] = []
    public private(set) var finishedLengths: [Int] = []
    /// Returns of the last 100 episodes, for the progress line.
    public private(set) var recentReturns: [Double] = []
    public private(set) var totalEpisodes = 0

    public init(environments: Int) {
        returns = [Double](repeating: 0, count: environments)
        lengths = [Int](repeating: 0, count: environments)
    }

    /// Adds one step of environment `index`; `done` ends its episode.
    public mutating func record(index: Int, reward: Double, done: Bool) {
        returns[index] += reward
        lengths[index] += 1
        guard done else { return }
        finishedReturns.append(returns[index])
        finishedLengths.append(lengths[index])
        recentReturns.append(returns[index])
        if recentReturns.count > 100 { recentReturns.removeFirst(recentReturns.count - 100) }
        totalEpisodes += 1
        returns[index] = 0
        lengths[index] = 0
    }

    /// Forgets environment `index`'s episode in progress (its worker was replaced).
    public mutating func restart(index: Int) {
        returns[index] = 0
        lengths[index] = 0
    }

    /// Forgets the episodes in progress (after environments were reset).
    public mutating func restartAll() {
        for i in returns.indices { returns[i] = 0; lengths[i] = 0 }
    }

    /// Mean return and length of the episodes finished since the last call
    /// (nil when none), and forgets them.
    public mutating func drain() -> (meanReturn: Double, meanLength: Double, count: Int)? {
        defer { finishedReturns.removeAll(keepingCapacity: true); finishedLengths.removeAll(keepingCapacity: true) }
        guard !finishedReturns.isEmpty else { return nil }
        let n = Double(finishedReturns.count)
        return (finishedReturns.reduce(0, +) / n, Double(finishedLengths.reduce(0, +)) / n, finishedReturns.count)
    }

    public var recentMeanReturn: Double? {
        recentReturns.isEmpty ? nil : recentReturns.reduce(0, +) / Double(recentReturns.count)
    }
}
