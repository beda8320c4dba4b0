import Foundation
import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class VTraceLearnerTests: XCTestCase {
    func testImpalaLosses_matchTheFormulas_andTheirGradients() throws {
        var rng = RandomGenerator(seed: 11)
        let n = 12
        let logp = (0..<n).map { _ in -Float(rng.nextUniform() * 2) }
        let values = (0..<n).map { _ in Float(rng.nextUniform() * 4 - 2) }
        let entropies = (0..<n).map { _ in Float(rng.nextUniform()) }
        let vs = (0..<n).map { _ in Float(rng.nextUniform() * 4 - 2) }
        let advantages = (0..<n).map { _ in Float(rng.nextUniform() * 2 - 1) }
        let logpT = Tensor(logp, shape: [n]), valuesT = Tensor(values, shape: [n])
        logpT.requiresGradient = true
        valuesT.requiresGradient = true
        let tape = GradientTape()
        var parts: (policy: Tensor, baseline: Tensor, entropy: Tensor)!
        let total = tape.record { () -> Tensor in
            parts = impalaLosses(logProbabilities: logpT, values: valuesT, entropies: Tensor(entropies, shape: [n]),
                                 vs: Tensor(vs, shape: [n]), pgAdvantages: Tensor(advantages, shape: [n]))
            return parts.policy + parts.baseline
        }
        let N = Float(n)
        assertClose(parts.policy.scalars[0], -zip(logp, advantages).map { $0 * $1 }.reduce(0, +) / N, atol: 1e-5)
        assertClose(parts.baseline.scalars[0], zip(vs, values).map { 0.5 * ($0 - $1) * ($0 - $1) }.reduce(0, +) / N, atol: 1e-5)
        assertClose(parts.entropy.scalars[0], entropies.reduce(0, +) / N, atol: 1e-6)
        let grads = tape.gradients(of: total, wrt: [logpT, valuesT])
        // d/dlogπ = −A/N; d/dV = (V − vs)/N: the targets are constants.
        assertClose(grads[0].scalars, advantages.map { -$0 / N }, atol: 1e-6)
        assertClose(grads[1].scalars, zip(values, vs).map { ($0 - $1) / N }, atol: 1e-6)
    }

    func testRewardClipping_values() {
        XCTAssertEqual(RewardClipping.none(7), 7)
        XCTAssertEqual(RewardClipping.absOne(7), 1)
        XCTAssertEqual(RewardClipping.absOne(-0.5), -0.5)
        // scalable_agent: 5·tanh(r/5), negatives scaled by 0.3.
        assertClose(RewardClipping.softAsymmetric(5), 5 * Foundation.tanh(1), atol: 1e-6)
        assertClose(RewardClipping.softAsymmetric(-5), -0.3 * 5 * Foundation.tanh(1), atol: 1e-6)
    }

    /// One-transition unrolls from a constant observation, acted on-policy.
    func banditBatch(_ learner: VTraceLearner, rows: Int, rng: inout RandomGenerator, reward: (Float) -> Float) throws -> VTraceBatch {
        var batch = VTraceBatch(steps: 1, batchSize: rows, observationSize: 1)
        batch.observations = ObservationRows([Float](repeating: 1, count: 2 * rows))
        let policy = withoutGradients { learner.network.policy(Tensor([Float](repeating: 1, count: rows), shape: [rows, 1])) }
        batch.actions = try policy.sample(using: &rng)
        batch.behaviour = try policy.parameters.hostScalars()
        batch.rewards = batch.actions.map(reward)
        batch.discounts = [Float](repeating: 0, count: rows)
        return batch
    }

    func testLearner_categoricalBandit_learnsTheRewardedAction_andItsValue() throws {
        var settings = VTraceLearnerSettings()
        settings.optimizer = .adam
        settings.learningRate = 3e-3
        settings.annealLearningRate = false
        var rng = RandomGenerator(seed: 3)
        let network = ActorCritic(observationSize: 1, head: .categorical(classes: 3), settings: NetworkSettings(), using: &rng)
        let learner = try VTraceLearner(network: network, observationSize: 1, settings: settings)
        var last = VTraceStepStatistics()
        for _ in 0..<150 {
            last = try learner.step(try banditBatch(learner, rows: 64, rng: &rng) { $0 == 2 ? 1 : 0 }, progress: 0)
        }
        XCTAssertEqual(learner.version, 150)
        // On-policy data: every importance weight is exactly 1.
        assertClose(Float(last.meanRho), 1, atol: 1e-5)
        XCTAssertEqual(last.clippedRhoFraction, 0)
        let probabilities = withoutGradients { learner.network.policy(Tensor([1], shape: [1, 1])).parameters.softmax(axis: -1).scalars }
        XCTAssertGreaterThan(probabilities[2], 0.9, "\(probabilities)")
        let value = withoutGradients { learner.network.value(Tensor([1], shape: [1, 1])).scalars[0] }
        XCTAssertEqual(value, probabilities[2], accuracy: 0.1, "the value approaches the expected reward")
    }

    func testLearner_timeLimitCut_bootstrapsFromTheLastObservation() throws {
        var settings = VTraceLearnerSettings()
        settings.discount = 0.9
        settings.entropyCoefficient = 0
        var rng = RandomGenerator(seed: 4)
        let network = ActorCritic(observationSize: 2, head: .categorical(classes: 2), settings: NetworkSettings(), using: &rng)
        let learner = try VTraceLearner(network: network, observationSize: 2, settings: settings)
        let start: [Float] = [0.3, -0.2], last: [Float] = [1.5, 0.7]
        let (v0, vLast, logits) = withoutGradients { () -> (Float, Float, [Float]) in
            let x = Tensor(start + last, shape: [2, 2])
            let v = learner.network.value(x).scalars
            return (v[0], v[1], learner.network.policy(x).parameters.scalars)
        }
        var batch = VTraceBatch(steps: 1, batchSize: 1, observationSize: 2)
        batch.observations = ObservationRows(start + [0, 0])  // the row after the cut is the next episode's first
        batch.actions = [1]
        batch.behaviour = Array(logits[0..<2])
        batch.rewards = [0.5]
        batch.discounts = [0]
        batch.truncations = [(row: 0, observation: ObservationRows(last))]
        let stats = try learner.step(batch, progress: 0)
        // On-policy, T = 1, discount 0: vₛ = r + γ·V(last), so the baseline loss is ½(vₛ − V(x₀))².
        let target = 0.5 + 0.9 * vLast
        XCTAssertEqual(stats.baselineLoss, Double(0.5 * (target - v0) * (target - v0)), accuracy: 1e-5)
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
            b.observations = ObservationRows([Float](repeating: 1, count: 16))
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
