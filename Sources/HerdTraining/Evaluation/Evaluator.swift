import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdRuntime
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

/// Runs a policy for whole episodes, batching it over up to 100
/// environments: built-in environments in this process, others (`gymnasium:`
/// ones) in worker processes with the run's settings and wrappers. Episode
/// `k` runs on environment `k mod E`; environment `i` is seeded from
/// `(seed, i)` at its first reset. The policy (``ActingPolicy``) brings its
/// own sampling generator and frozen observation statistics.
public struct Evaluator {
    public var environment: EnvironmentConfig
    public var episodes: Int
    public var seed: UInt64
    /// Environments to run side by side (`nil`: as many as episodes, at most 100).
    public var environmentCount: Int?
    /// Worker processes for environments that do not run in this process.
    public var workers = 2
    public var herdExecutable = PoolConfiguration.defaultHerdExecutable()
    /// Called with a picture of environment 0 after its first reset and
    /// after each of its steps, while it has episodes left (``render``).
    public var frames: ((RGBImage) throws -> Void)?

    public init(environment: EnvironmentConfig, episodes: Int, seed: UInt64) {
        self.environment = environment
        self.episodes = episodes
        self.seed = seed
    }

    /// Whether the environments run in this process (Herd builds them) or in workers.
    public var runsInProcess: Bool {
        (try? EnvironmentRegistry.make(environment.name, settings: environment.settings)) != nil
    }

    /// Runs the episodes with `policy`.
    public func run(_ policy: any ActingPolicy) throws -> EvaluationResult { try run { _ in policy } }

    /// Runs the episodes with the policy `makePolicy` builds for the
    /// environments' spaces (known once they are up).
    public func run(_ makePolicy: (EnvironmentSpaces) throws -> any ActingPolicy) throws -> EvaluationResult {
        require(episodes > 0, "evaluation needs at least one episode")
        let count = environmentCount ?? min(episodes, 100)
        let environments: EvaluationEnvironments = runsInProcess
            ? try InProcessEnvironments(name: environment.name, settings: environment.settings, count: count, seed: seed)
            : try WorkerEnvironments(environment, count: count, workers: workers, seed: seed, herdExecutable: herdExecutable,
                                     render: frames != nil)
        defer { environments.close() }
        let policy = try makePolicy(environments.spaces)
        let observationSize = environments.spaces.observation.flatCount
        return try runEpisodes(environments) { active, observations, starts, previousRewards in
            try policy.act(ActingRows(environments: active, observations: observations, episodeStarts: starts,
                                      previousRewards: previousRewards, environmentCount: environments.count,
                                      observationSize: observationSize))
        }
    }

    /// Runs the episodes with `act`, which gets the indices of the
    /// environments still running, their observations (`[rows, n]`),
    /// whether each row starts an episode, and each row's previous reward
    /// (0 at a start), and returns their actions (`[rows, actionSize]`, in
    /// the environments' format).
    func runEpisodes(_ environments: EvaluationEnvironments,
                     act: ([Int], [Float], [Bool], [Float]) throws -> [Float]) throws -> EvaluationResult {
        let count = environments.count
        var quota = (0..<count).map { i in episodes / count + (i < episodes % count ? 1 : 0) }
        var observations = try environments.reset()
        var running = [Double](repeating: 0, count: count), lengths = [Int](repeating: 0, count: count)
        var starts = [Bool](repeating: true, count: count), previousRewards = [Float](repeating: 0, count: count)
        var returns: [Double] = [], episodeLengths: [Int] = []
        try record(environments)
        while returns.count < episodes {
            let active = (0..<count).filter { quota[$0] > 0 }
            let actions = try act(active, active.flatMap { observations[$0] }, active.map { starts[$0] },
                                  active.map { previousRewards[$0] })
            for (i, step) in zip(active, try environments.step(actions, active: active)) {
                observations[i] = step.observation
                starts[i] = step.ended || step.lost
                previousRewards[i] = starts[i] ? 0 : Float(step.reward)
                if step.lost {
                    // The worker was replaced: the episode is not the policy's to answer for.
                    (running[i], lengths[i]) = (0, 0)
                    continue
                }
                running[i] += step.reward
                lengths[i] += 1
                if step.ended {
                    returns.append(running[i])
                    episodeLengths.append(lengths[i])
                    (running[i], lengths[i]) = (0, 0)
                    quota[i] -= 1
                }
            }
            if quota[0] > 0 { try record(environments) }
        }
        let n = Double(returns.count)
        let mean = returns.reduce(0, +) / n
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        return EvaluationResult(episodes: returns.count, meanReturn: mean, stdReturn: variance.squareRoot(),
                                meanLength: Double(episodeLengths.reduce(0, +)) / n, returns: returns)
    }

    private func record(_ environments: EvaluationEnvironments) throws {
        guard let frames else { return }
        guard let image = try environments.render(0) else {
            let reason = environments is WorkerEnvironments
                ? "its worker sent no picture with its results (the environment cannot draw, or its picture is over 8,192 pixels a side), so it cannot be recorded"
                : "this environment does not draw itself, so it cannot be recorded"
            throw RunError.incompatible(path: environment.name, reason: reason)
        }
        try frames(image)
    }
}
