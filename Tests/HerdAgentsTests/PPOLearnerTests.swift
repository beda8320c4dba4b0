import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class PPOLearnerTests: XCTestCase {
    /// One-step episodes from a constant observation; `reward(action)` scores each.
    func train(_ learner: PPOLearner, updates: Int, batch: Int, reward: ([Float]) -> Float) throws -> [PPOUpdateStatistics] {
        let width = learner.head.actionSize
        var stats: [PPOUpdateStatistics] = []
        for u in 0..<updates {
            var rollout = Rollout(steps: 1, batchSize: batch, observationSize: 1, head: learner.head)
            let observations = [Float](repeating: 1, count: batch)
            let step = try learner.act(observations)
            rollout.observations = observations
            rollout.actions = step.actions
            rollout.logProbabilities = step.logProbabilities
            rollout.distributionParameters = step.distributionParameters
            rollout.values = step.values + [Float](repeating: 0, count: batch)
            rollout.rewards = (0..<batch).map { reward(Array(step.actions[($0 * width)..<(($0 + 1) * width)])) }
            rollout.discounts = [Float](repeating: 0, count: batch)
            stats.append(try learner.update(rollout, progress: Double(u) / Double(updates)))
        }
        return stats
    }

    func testPPO_categoricalBandit_learnsTheRewardedAction() throws {
        var settings = PPOSettings()
        settings.epochs = 4
        settings.minibatches = 2
        settings.learningRate = 3e-3
        let learner = try PPOLearner(observationSize: 1, head: .categorical(classes: 3), network: NetworkSettings(),
                                     settings: settings, seed: 5)
        let before = try learner.act([Float](repeating: 1, count: 256)).actions.filter { $0 == 2 }.count
        let stats = try train(learner, updates: 30, batch: 64) { $0[0] == 2 ? 1 : 0 }
        let after = try learner.act([Float](repeating: 1, count: 256)).actions.filter { $0 == 2 }.count
        XCTAssertLessThan(before, 140, "starts near uniform")
        XCTAssertGreaterThan(after, 230, "after training almost always picks action 2")
        XCTAssertEqual(stats.last?.gradientSteps, 8)
        XCTAssertTrue(stats.allSatisfy { $0.kl.isFinite && $0.kl >= -1e-6 })
    }

    func testPPO_gaussianBandit_movesTheMeanToTheOptimum_withKLPenalty() throws {
        var settings = PPOSettings()
        settings.objective = .klPenalty
        settings.epochs = 8
        settings.learningRate = 1e-2
        settings.annealLearningRate = false
        let learner = try PPOLearner(observationSize: 1, head: .gaussian(dimension: 1), network: NetworkSettings(),
                                     settings: settings, seed: 6)
        let stats = try train(learner, updates: 150, batch: 128) { -($0[0] - 0.5) * ($0[0] - 0.5) }
        let mean = try learner.act([1], deterministic: true).actions[0]
        XCTAssertEqual(Double(mean), 0.5, accuracy: 0.1)
        let penalties = Set(stats.map(\.klPenalty))
        XCTAssertGreaterThan(penalties.count, 1, "the adaptive penalty changed")
    }

    func testPPO_sameSeed_sameUpdates() throws {
        func run() throws -> [Double] {
            let learner = try PPOLearner(observationSize: 1, head: .categorical(classes: 2), network: NetworkSettings(),
                                         settings: PPOSettings(), seed: 9)
            return try train(learner, updates: 3, batch: 32) { $0[0] }.map(\.policyLoss)
        }
        XCTAssertEqual(try run(), try run())
    }
}
