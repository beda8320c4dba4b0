import Foundation
import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class PPOObjectiveTests: XCTestCase {
    /// Ratios [1, 1.5, 0.5], advantages [1, 2, −1], ε = 0.2:
    /// min(ρA, clip(ρ)A) = [1, min(3, 2.4), min(−0.5, −0.8)] = [1, 2.4, −0.8]; L = −2.6/3.
    /// Gradient w.r.t. log π: row 0 unclipped, ρA/3 = 1/3 (negated); rows 1 and 2
    /// take the clipped branch, whose ratio is outside [0.8, 1.2]: 0.
    func testClippedSurrogate_handComputedValueAndGradient() {
        let logp = Tensor([0, Float(log(1.5)), Float(log(0.5))])
        logp.requiresGradient = true
        let tape = GradientTape()
        let loss = tape.record {
            ppoClippedSurrogate(logProbabilities: logp, oldLogProbabilities: Tensor.zeros([3]),
                                advantages: Tensor([1, 2, -1]), clipRange: 0.2)
        }
        assertClose(loss.scalar, -2.6 / 3, atol: 1e-6)
        assertClose(tape.gradients(of: loss, wrt: [logp])[0], [-1.0 / 3, 0, 0], atol: 1e-6)
    }

    func testClippedSurrogate_finiteDifferences_awayFromKinks() {
        let old = Tensor([0.1, -0.2, 0.05, 0.3])
        let advantages = Tensor([1.0, -0.5, 2.0, -1.5])
        checkGradients([Tensor([0.12, -0.15, 0.0, 0.33])], epsilon: 1e-3) { x in
            ppoClippedSurrogate(logProbabilities: x[0], oldLogProbabilities: old, advantages: advantages, clipRange: 0.2)
        }
    }

    /// ρ = [1, 1.5], A = [1, 2] → surrogate −(1 + 3)/2 = −2; KL = [0.01, 0.05],
    /// mean 0.03; β = 2 adds 0.06; the cutoff at 2·0.01 adds 1000·(0.03 − 0.02)² = 0.1.
    func testKLPenaltyObjective_handComputed_withAndWithoutCutoff() throws {
        let logp = Tensor([0, Float(log(1.5))])
        let withCutoff = try ppoKLPenaltyObjective(logProbabilities: logp, oldLogProbabilities: Tensor.zeros([2]),
                                               advantages: Tensor([1, 2]), kl: Tensor([0.01, 0.05]), penalty: 2,
                                               target: 0.01, cutoffFactor: 2, cutoffCoefficient: 1000)
        assertClose(withCutoff.scalar, -2 + 0.06 + 0.1, atol: 1e-5)
        // Mean KL 0.015 stays under the cutoff 0.02: −2 + 2·0.015.
        let withoutCutoff = try ppoKLPenaltyObjective(logProbabilities: logp, oldLogProbabilities: Tensor.zeros([2]),
                                                  advantages: Tensor([1, 2]), kl: Tensor([0.01, 0.02]), penalty: 2,
                                                  target: 0.01, cutoffFactor: 2, cutoffCoefficient: 1000)
        assertClose(withoutCutoff.scalar, -2 + 0.03, atol: 1e-5)
    }

    func testKLPenaltyObjective_finiteDifferences() {
        let old = Tensor([0.1, -0.2, 0.05])
        let advantages = Tensor([1.0, -0.5, 2.0])
        checkGradients([Tensor([0.12, -0.15, 0.0]), Tensor([0.02, 0.04, 0.01])], epsilon: 1e-3) { x in
            try! ppoKLPenaltyObjective(logProbabilities: x[0], oldLogProbabilities: old, advantages: advantages, kl: x[1],
                                  penalty: 1.5, target: 0.01, cutoffFactor: 2, cutoffCoefficient: 1000)
        }
    }

    /// v = [1, 2], R = [0, 4]: unclipped ½·mean([1, 4]) = 1.25. With v_old = 1.5 and
    /// ε = 0.2 the clipped values are [1.3, 1.7], errors² [1.69, 5.29]; the
    /// elementwise max is [1.69, 5.29], so ½·3.49 = 1.745.
    func testValueLoss_handComputed_plainAndClipped() {
        let v = Tensor([1, 2]), r = Tensor([0, 4])
        assertClose(ppoValueLoss(values: v, returns: r).scalar, 1.25)
        assertClose(ppoValueLoss(values: v, returns: r, oldValues: Tensor([1.5, 1.5]), clipRange: 0.2).scalar, 1.745, atol: 1e-5)
    }

    /// BatchPPO's `_adjust_penalty`: ×1.5 above 1.3·target, ÷1.5 below 0.7·target.
    func testKLPenaltyController_adaptationRule() {
        var c = KLPenaltyController(initialPenalty: 1, target: 0.01)
        XCTAssertEqual(c.adapt(observedKL: 0.02), 1.5, accuracy: 1e-6)
        XCTAssertEqual(c.adapt(observedKL: 0.0131), 2.25, accuracy: 1e-6)
        XCTAssertEqual(c.adapt(observedKL: 0.0129), 2.25, accuracy: 1e-6)  // just inside the band: unchanged
        XCTAssertEqual(c.adapt(observedKL: 0.01), 2.25, accuracy: 1e-6)
        XCTAssertEqual(c.adapt(observedKL: 0.0071), 2.25, accuracy: 1e-6)
        XCTAssertEqual(c.adapt(observedKL: 0.0069), 1.5, accuracy: 1e-6)
        XCTAssertEqual(c.adapt(observedKL: 0), 1, accuracy: 1e-6)
    }

    func testExplainedVariance_perfectAndConstantPredictions() {
        XCTAssertEqual(explainedVariance(predictions: [1, 2, 3], targets: [1, 2, 3]), 1, accuracy: 1e-9)
        XCTAssertEqual(explainedVariance(predictions: [2, 2, 2], targets: [1, 2, 3]), 0, accuracy: 1e-9)
    }
}
