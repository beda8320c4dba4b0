import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdTensor

/// Results of an evaluation.
public struct EvaluationResult: Equatable, Sendable {
    public var episodes: Int
    public var meanReturn: Double
    public var stdReturn: Double
    public var meanLength: Double
    public var returns: [Double]

    /// `{"episodes": N, "mean_return": …, "std_return": …, "mean_length": …}`.
    public var json: String {
        var record = MetricsRecord()
        record["episodes"] = Double(episodes)
        record["mean_return"] = meanReturn
        record["std_return"] = stdReturn
        record["mean_length"] = meanLength
        return record.json
    }
}

/// Runs a policy for whole episodes on environments in this process (no
/// worker processes), batching the policy over up to 100 of them. Episode
/// `k` runs on environment `k mod E`; environment `i` is seeded from
/// `(seed, i)` at its first reset. The policy (``ActingPolicy``) brings
/// its own sampling generator and frozen observation statistics.
public struct Evaluator {
    public var environment: String
    public var settings: [String: SettingValue]
    public var episodes: Int
    public var seed: UInt64

    public init(environment: String, settings: [String: SettingValue], episodes: Int, seed: UInt64) {
        self.environment = environment
        self.settings = settings
        self.episodes = episodes
        self.seed = seed
    }

    /// Runs the episodes with `policy`.
    public func run(_ policy: any ActingPolicy) throws -> EvaluationResult {
        try runEpisodes(actionSize: policy.actionSize) { environments, active, observations, starts, previousRewards in
            try policy.act(ActingRows(environments: active, observations: observations, episodeStarts: starts,
                                      previousRewards: previousRewards, environmentCount: environments.count,
                                      observationSize: environments[0].observationSpace.flatCount))
        }
    }

    /// Runs the episodes with `act`, which gets the environments, the
    /// indices of those still running, their observations (`[rows, n]`),
    /// whether each row starts an episode, and each row's previous reward
    /// (0 at a start), and returns their actions (`[rows, actionSize]`, in
    /// the environments' format).
    public func runEpisodes(actionSize: Int,
                            act: ([Environment], [Int], [Float], [Bool], [Float]) throws -> [Float]) throws -> EvaluationResult {
        require(episodes > 0, "evaluation needs at least one episode")
        let count = min(episodes, 100)
        let environments = try (0..<count).map { _ in try EnvironmentRegistry.make(environment, settings: settings) }
        var quota = (0..<count).map { i in episodes / count + (i < episodes % count ? 1 : 0) }
        var observations = (0..<count).map { environments[$0].reset(seed: environmentSeed(runSeed: seed, index: $0)) }
        var running = [Double](repeating: 0, count: count), lengths = [Int](repeating: 0, count: count)
        var starts = [Bool](repeating: true, count: count), previousRewards = [Float](repeating: 0, count: count)
        var returns: [Double] = [], episodeLengths: [Int] = []
        while returns.count < episodes {
            let active = (0..<count).filter { quota[$0] > 0 }
            let actions = try act(environments, active, active.flatMap { observations[$0] }, active.map { starts[$0] },
                                  active.map { previousRewards[$0] })
            for (row, i) in active.enumerated() {
                let step = try environments[i].step(Array(actions[(row * actionSize)..<((row + 1) * actionSize)]))
                running[i] += step.reward
                lengths[i] += 1
                observations[i] = step.observation
                starts[i] = false
                previousRewards[i] = Float(step.reward)
                if step.terminated || step.truncated {
                    returns.append(running[i])
                    episodeLengths.append(lengths[i])
                    running[i] = 0
                    lengths[i] = 0
                    quota[i] -= 1
                    starts[i] = true
                    previousRewards[i] = 0
                    if quota[i] > 0 { observations[i] = environments[i].reset() }
                }
            }
        }
        let n = Double(returns.count)
        let mean = returns.reduce(0, +) / n
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        return EvaluationResult(episodes: returns.count, meanReturn: mean, stdReturn: variance.squareRoot(),
                                meanLength: Double(episodeLengths.reduce(0, +)) / n, returns: returns)
    }
}
