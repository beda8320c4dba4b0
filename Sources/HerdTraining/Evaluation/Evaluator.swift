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
/// `(seed, i)` at its first reset. Observations are normalised with frozen
/// statistics. The policy's own RNG is not touched: sampling (when not
/// deterministic) uses one seeded from `seed`.
public struct Evaluator {
    public var environment: String
    public var settings: [String: SettingValue]
    public var episodes: Int
    public var deterministic: Bool
    public var seed: UInt64

    public init(environment: String, settings: [String: SettingValue], episodes: Int, deterministic: Bool, seed: UInt64) {
        self.environment = environment
        self.settings = settings
        self.episodes = episodes
        self.deterministic = deterministic
        self.seed = seed
    }

    public func run(network: ActorCritic, normalizer: StreamingNormalizer?, device: Device = .cpu) throws -> EvaluationResult {
        require(episodes > 0, "evaluation needs at least one episode")
        let count = min(episodes, 100)
        let environments = try (0..<count).map { _ in try EnvironmentRegistry.make(environment, settings: settings) }
        let observationSize = environments[0].observationSpace.flatCount
        let mapping = ActionMapping(space: environments[0].actionSpace, head: network.head)
        var random = RandomGenerator(seed: seed, stream: 7)
        var quota = (0..<count).map { i in episodes / count + (i < episodes % count ? 1 : 0) }
        var observations = (0..<count).map { environments[$0].reset(seed: environmentSeed(runSeed: seed, index: $0)) }
        var running = [Double](repeating: 0, count: count), lengths = [Int](repeating: 0, count: count)
        var returns: [Double] = [], episodeLengths: [Int] = []
        while returns.count < episodes {
            let active = (0..<count).filter { quota[$0] > 0 }
            var input = [Float]()
            input.reserveCapacity(active.count * observationSize)
            for i in active {
                var row = observations[i]
                if let normalizer { row.withUnsafeMutableBufferPointer { normalizer.transform($0) } }
                input += row
            }
            let actions: [Float] = try withoutGradients {
                let policy = network(try Tensor(input, shape: [active.count, observationSize]).to(device)).policy
                return deterministic ? try policy.mode() : try policy.sample(using: &random)
            }
            let environmentActions = mapping.environmentActions(actions)
            let width = network.head.actionSize
            for (row, i) in active.enumerated() {
                let step = try environments[i].step(Array(environmentActions[(row * width)..<((row + 1) * width)]))
                running[i] += step.reward
                lengths[i] += 1
                observations[i] = step.observation
                if step.terminated || step.truncated {
                    returns.append(running[i])
                    episodeLengths.append(lengths[i])
                    running[i] = 0
                    lengths[i] = 0
                    quota[i] -= 1
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
