import Foundation
import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class NonFiniteGuardTests: XCTestCase {
    func testGuard_countsSkipsInAllAndInARow() {
        var guardState = NonFiniteGuard()
        XCTAssertTrue(guardState.admit(loss: 1, gradientNorm: 2))
        XCTAssertFalse(guardState.admit(loss: .nan, gradientNorm: 2))
        XCTAssertFalse(guardState.admit(loss: 1, gradientNorm: .infinity))
        XCTAssertFalse(guardState.admit(loss: -.infinity, gradientNorm: 0))
        XCTAssertEqual(guardState.consecutive, 3)
        XCTAssertTrue(guardState.admit(loss: 0, gradientNorm: 0))
        XCTAssertEqual(guardState.consecutive, 0)
        XCTAssertEqual(guardState.skipped, 3)
    }

    /// A NaN reward makes the V-trace targets, the loss and every gradient
    /// NaN: the step is skipped, so parameters, optimizer and version stay
    /// exactly as they were; the next finite batch trains as usual.
    func testVTraceLearner_nanReward_skipsTheStep_thenTrainsOnFiniteData() throws {
        var rng = RandomGenerator(seed: 5)
        let network = ActorCritic(observationSize: 1, head: .categorical(classes: 3), settings: NetworkSettings(), using: &rng)
        let learner = try VTraceLearner(network: network, observationSize: 1, settings: VTraceLearnerSettings())
        func batch(reward: Float) throws -> VTraceBatch {
            var b = VTraceBatch(steps: 1, batchSize: 8, observationSize: 1)
            b.observations = [Float](repeating: 1, count: 16)
            let policy = withoutGradients { learner.network.policy(Tensor([Float](repeating: 1, count: 8), shape: [8, 1])) }
            b.actions = try policy.sample(using: &rng)
            b.behaviour = try policy.parameters.hostScalars()
            b.rewards = [Float](repeating: 1, count: 8)
            b.rewards[3] = reward
            b.discounts = [Float](repeating: 0, count: 8)
            return b
        }
        _ = try learner.step(try batch(reward: 1), progress: 0)
        let before = learner.network.parameters.map(\.scalars)
        for bad in [Float.nan, .infinity] {
            let statistics = try learner.step(try batch(reward: bad), progress: 0)
            XCTAssertTrue(statistics.skipped)
        }
        XCTAssertEqual(learner.network.parameters.map(\.scalars), before, "a skipped step must not touch the parameters")
        XCTAssertEqual(learner.version, 1)
        XCTAssertEqual(learner.nonFinite.skipped, 2)
        XCTAssertEqual(learner.nonFinite.consecutive, 2)
        let good = try learner.step(try batch(reward: 1), progress: 0)
        XCTAssertFalse(good.skipped)
        XCTAssertEqual(learner.version, 2)
        XCTAssertEqual(learner.nonFinite.consecutive, 0)
        XCTAssertNotEqual(learner.network.parameters.map(\.scalars), before)
        XCTAssertTrue(learner.network.parameters.allSatisfy { $0.scalars.allSatisfy(\.isFinite) })
    }
}
