import Foundation
import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class R2D2LearnerTests: XCTestCase {
    func network(seed: UInt64, feedForward: Bool = false) -> R2D2Network {
        var rng = RandomGenerator(seed: seed)
        var settings = R2D2NetworkSettings()
        settings.lstmSize = 8
        settings.torso.hiddenSizes = [8]
        settings.feedForward = feedForward
        return R2D2Network(observationSize: 3, actions: 2, settings: settings, using: &rng)
    }

    func randomInputs(T: Int, B: Int, seed: UInt64) -> R2D2Network.Inputs {
        var rng = RandomGenerator(seed: seed)
        return R2D2Network.Inputs(steps: T, batchSize: B, observations: (0..<(T * B * 3)).map { _ in Float(rng.nextUniform() * 2 - 1) },
                                  previousActions: (0..<(T * B)).map { _ in Int(rng.next() % 3) - 1 },
                                  previousRewards: (0..<(T * B)).map { _ in Float(rng.nextUniform()) },
                                  resets: (0..<(T * B)).map { i in i == 2 * B + 1 ? 1 : 0 }, initialState: [])
    }

    /// One call over T steps equals T calls of one step carrying the state
    /// (what acting does), including a reset in the middle.
    func testUnroll_equalsStepByStepActing_withAResetInside() throws {
        let net = network(seed: 1)
        let (T, B) = (5, 2)
        let inputs = randomInputs(T: T, B: B, seed: 2)
        let whole = try withoutGradients { try net.unroll(inputs).q.scalars }
        var state = [Float](repeating: 0, count: B * net.stateSize)
        var stepwise: [Float] = []
        for t in 0..<T {
            for b in 0..<B where inputs.resets[t * B + b] == 1 {
                for j in 0..<net.stateSize { state[b * net.stateSize + j] = 0 }
            }
            let one = R2D2Network.Inputs(steps: 1, batchSize: B, observations: Array(inputs.observations[(t * B * 3)..<((t + 1) * B * 3)]),
                                         previousActions: Array(inputs.previousActions[(t * B)..<((t + 1) * B)]),
                                         previousRewards: Array(inputs.previousRewards[(t * B)..<((t + 1) * B)]),
                                         resets: [Float](repeating: 0, count: B), initialState: state)
            let out = try withoutGradients { try net.unroll(one) }
            stepwise += out.q.scalars
            state = out.state!.scalars
        }
        assertClose(whole, stepwise, atol: 1e-5)
    }

    func sequences(count: Int, length: Int, seed: UInt64) -> [ReplaySequence] {
        var rng = RandomGenerator(seed: seed)
        return (0..<count).map { _ in
            var s = ReplaySequence(observations: (0..<(length * 3)).map { _ in Float(rng.nextUniform()) },
                                   previousActions: (0..<length).map { _ in Int(rng.next() % 2) },
                                   previousRewards: [Float](repeating: 0, count: length),
                                   actions: (0..<length).map { _ in Int(rng.next() % 2) },
                                   rewards: (0..<length).map { _ in Float(rng.next() % 2) },
                                   discounts: [Float](repeating: 0.9, count: length), mask: [Float](repeating: 1, count: length),
                                   resets: [Float](repeating: 0, count: length), actingQ: [Float](repeating: 0, count: 2 * length),
                                   initialState: [])
            s.mask[length - 1] = 0
            s.discounts[length - 2] = 0
            return s
        }
    }

    /// Learner settings for the test sequences of 8 steps: burn-in 2, training part 6, n = 2.
    func shortSequences() -> R2D2Settings {
        var settings = R2D2Settings()
        settings.sequenceLength = 6
        settings.burnIn = 2
        settings.nSteps = 2
        return settings
    }

    func testLearner_fitsAFixedBatch_returnsPriorities_andCopiesTheTargetOnSchedule() throws {
        var settings = shortSequences()
        settings.learningRate = 3e-3
        settings.targetUpdatePeriod = 1000
        let learner = try R2D2Learner(online: network(seed: 3), target: network(seed: 4), settings: settings)
        XCTAssertEqual(learner.target.parameters.map(\.scalars), learner.online.parameters.map(\.scalars), "the target starts as a copy")
        let batch = sequences(count: 8, length: 8, seed: 5)
        let weights = [Float](repeating: 1, count: 8)
        let first = try learner.step(batch, weights: weights)
        XCTAssertEqual(first.priorities.count, 8)
        XCTAssertTrue(first.priorities.allSatisfy { $0 > 0 && $0.isFinite })
        XCTAssertNotEqual(learner.target.parameters.map(\.scalars), learner.online.parameters.map(\.scalars), "not copied before the period")
        var last = first
        for _ in 0..<150 { last = try learner.step(batch, weights: weights) }
        // The target network is frozen, so the regression has a fixed goal: the loss must fall.
        XCTAssertLessThan(last.statistics.loss, first.statistics.loss / 4, "\(first.statistics.loss) → \(last.statistics.loss)")
        learner.version = 999
        _ = try learner.step(batch, weights: weights)
        XCTAssertEqual(learner.target.parameters.map(\.scalars), learner.online.parameters.map(\.scalars), "copied at step 1000")
    }

    /// `annealLearningRate` decays Adam's step size linearly with the run's progress; off, it stays.
    func testLearningRate_annealsWithProgress_onlyWhenAsked() throws {
        var settings = shortSequences()
        settings.learningRate = 2e-3
        let batch = sequences(count: 4, length: 8, seed: 6), weights = [Float](repeating: 1, count: 4)
        let constant = try R2D2Learner(online: network(seed: 3), target: network(seed: 4), settings: settings)
        _ = try constant.step(batch, weights: weights, progress: 0.75)
        XCTAssertEqual(constant.optimizer.learningRate, 2e-3)
        settings.annealLearningRate = true
        let annealed = try R2D2Learner(online: network(seed: 3), target: network(seed: 4), settings: settings)
        _ = try annealed.step(batch, weights: weights, progress: 0.75)
        XCTAssertEqual(annealed.optimizer.learningRate, 5e-4, accuracy: 1e-9)
        _ = try annealed.step(batch, weights: weights, progress: 1.5)
        XCTAssertEqual(annealed.optimizer.learningRate, 0, "never below 0 past the end")
    }

    /// A NaN reward: the step is skipped, no priorities come back (NaN ones
    /// would poison the sum tree), and neither network nor version moves.
    func testLearner_nanReward_skipsTheStep_andReturnsNoPriorities() throws {
        var settings = shortSequences()
        let learner = try R2D2Learner(online: network(seed: 3), target: network(seed: 4), settings: settings)
        var batch = sequences(count: 4, length: 8, seed: 5)
        batch[1].rewards[4] = .nan
        let before = learner.online.parameters.map(\.scalars)
        let result = try learner.step(batch, weights: [Float](repeating: 1, count: 4))
        XCTAssertTrue(result.statistics.skipped)
        XCTAssertTrue(result.priorities.isEmpty)
        XCTAssertEqual(learner.version, 0)
        XCTAssertEqual(learner.nonFinite.skipped, 1)
        XCTAssertEqual(learner.online.parameters.map(\.scalars), before)
    }

    func testImportanceWeights_scaleEachSequencesGradient() throws {
        let settings = shortSequences()
        let batch = sequences(count: 2, length: 8, seed: 6)
        // A zero weight removes a sequence from the loss: the loss equals the other one's alone (at half the batch weight).
        let a = try R2D2Learner(online: network(seed: 7), target: network(seed: 7), settings: settings)
        let b = try R2D2Learner(online: network(seed: 7), target: network(seed: 7), settings: settings)
        let both = try a.step(batch, weights: [1, 0]).statistics.loss
        let alone = try b.step([batch[0]], weights: [1]).statistics.loss
        XCTAssertEqual(both, alone / 2, accuracy: 1e-6 * max(1, abs(alone)))
    }
}
