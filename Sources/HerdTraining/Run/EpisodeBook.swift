/// The learner side's per-environment episode bookkeeping, in one place:
/// each environment's running return and length (raw rewards), the
/// episodes that ended since the last ``drain()``, and the last 100
/// returns for the progress line. Data sources feed it (``LockstepSource``,
/// ``UnrollSource``); agents never do, so no agent can count a step twice
/// or forget a restart.
///
/// An environment whose worker was replaced (or whose remote worker
/// vanished) is ``restart(index:)``ed: its interrupted episode is dropped,
/// not merged into the next one and not counted.
public struct EpisodeBook: Sendable {
    private var returns: [Double]
    private var lengths: [Int]
    public private(set) var finishedReturns: [Double] = []
    public private(set) var finishedLengths: [Int] = []
    /// Returns of the last 100 episodes, for the progress line.
    public private(set) var recentReturns: [Double] = []
    public private(set) var totalEpisodes = 0
    /// Episodes in progress dropped by ``restart(index:)`` that had steps.
    public private(set) var interruptedEpisodes = 0

    public init(environments: Int) {
        returns = [Double](repeating: 0, count: environments)
        lengths = [Int](repeating: 0, count: environments)
    }

    /// Adds one transition of environment `index`; `done` ends its episode.
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

    /// Drops environment `index`'s episode in progress (its worker was replaced).
    public mutating func restart(index: Int) {
        if lengths[index] > 0 { interruptedEpisodes += 1 }
        returns[index] = 0
        lengths[index] = 0
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
