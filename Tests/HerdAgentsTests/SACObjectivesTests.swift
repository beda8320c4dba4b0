import Foundation
@testable import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class SACObjectivesTests: XCTestCase {
    // MARK: Squashed Gaussian log-probability

    /// log π(a|s) in the paper's notation (Haarnoja et al. 2018, eq. 26), in
    /// Double with the naive Jacobian: Σᵢ [log 𝒩(uᵢ; μᵢ, σᵢ) − log(1 − tanh(uᵢ)²)].
    func naiveLogProbability(mean: [Float], logStd: [Float], u: [Float], rows: Int, dimension: Int) -> [Double] {
        (0..<rows).map { r in
            var total = 0.0
            for i in 0..<dimension {
                let k = r * dimension + i
                let (m, s, x) = (Double(mean[k]), Double(logStd[k]), Double(u[k]))
                let sigma = Foundation.exp(s)
                let logNormal = -0.5 * ((x - m) / sigma) * ((x - m) / sigma) - Foundation.log(sigma) - 0.5 * Foundation.log(2 * Double.pi)
                let t = Foundation.tanh(x)
                total += logNormal - Foundation.log(1 - t * t)
            }
            return total
        }
    }

    func testSquashedLogProbability_matchesNaiveDoubleFormula_onRandomInputs() {
        let (rows, d) = (6, 3)
        var rng = RandomGenerator(seed: 11)
        let mean = (0..<(rows * d)).map { _ in Float(rng.nextUniform() * 4 - 2) }
        let logStd = (0..<(rows * d)).map { _ in Float(rng.nextUniform() * 3 - 2) }
        var u = zip(mean, logStd).map { m, s in m + Foundation.exp(s) * Float(rng.nextNormal()) }
        // A few well into tanh's flat tails, where Double's naive form is still accurate.
        u[2] = 6.5
        u[7] = -8
        u[13] = 7.25
        let out = squashedGaussianLogProbability(mean: Tensor(mean, shape: [rows, d]), logStd: Tensor(logStd, shape: [rows, d]),
                                                 preTanh: Tensor(u, shape: [rows, d]))
        XCTAssertEqual(out.shape, [rows])
        let expected = naiveLogProbability(mean: mean, logStd: logStd, u: u, rows: rows, dimension: d).map { Float($0) }
        assertClose(out, expected, atol: 1e-4, rtol: 1e-5)
    }

    /// For |u| ≳ 9, tanh(u) rounds to ±1 in Float and the naive Jacobian
    /// log(1 − tanh²) is log 0 = −∞; the stable form stays finite and equals
    /// −2·log cosh u = −2·(|u| + log1p(e^−2|u|) − log 2). With μ = u and σ = 1
    /// the Gaussian term is −½ log 2π per dimension.
    func testSquashedLogProbability_largePreTanh_staysFinite_whereNaiveFloatFails() {
        let u: [Float] = [12, -15, 30, -60]
        for x in u {
            let t = Foundation.tanh(x)
            XCTAssertFalse(Foundation.log(1 - t * t).isFinite, "the naive Float Jacobian at u = \(x)")
        }
        let out = squashedGaussianLogProbability(mean: Tensor(u, shape: [4, 1]), logStd: Tensor.zeros([4, 1]),
                                                 preTanh: Tensor(u, shape: [4, 1]))
        XCTAssertTrue(out.scalars.allSatisfy(\.isFinite), "\(out.scalars)")
        let expected = u.map { x -> Float in
            let a = Swift.abs(Double(x))
            let logCosh = a + Foundation.log1p(Foundation.exp(-2 * a)) - Foundation.log(2.0)
            return Float(-0.5 * Foundation.log(2 * Double.pi) + 2 * logCosh)
        }
        assertClose(out, expected, atol: 1e-4, rtol: 1e-6)
    }

    func testSquashedLogProbability_finiteDifferences_inMeanLogStdAndPreTanh() {
        let mean = randomTensor([3, 2], seed: 21)
        let logStd = randomTensor([3, 2], low: -0.5, high: 0.5, seed: 22)
        let u = randomTensor([3, 2], low: -1.5, high: 1.5, seed: 23)
        checkGradients([mean, logStd, u]) { x in
            squashedGaussianLogProbability(mean: x[0], logStd: x[1], preTanh: x[2])
        }
    }

    /// Through the reparameterisation u = μ + σ·ε the Gaussian term is
    /// −½ε² − log σ − ½ log 2π, so ∂/∂μ log π = 2·tanh(u) (from the Jacobian
    /// alone) and ∂/∂log σ log π = −1 + 2·tanh(u)·σε, per element.
    func testSquashedLogProbability_gradientThroughReparameterisedSample() {
        let mean = randomTensor([3, 2], seed: 24)
        let logStd = randomTensor([3, 2], low: -0.5, high: 0.5, seed: 25)
        let noise = randomTensor([3, 2], seed: 26)
        checkGradients([mean, logStd]) { x in
            squashedGaussianLogProbability(mean: x[0], logStd: x[1], preTanh: x[0] + x[1].exp() * noise)
        }
        mean.requiresGradient = true
        logStd.requiresGradient = true
        let tape = GradientTape()
        let total = tape.record { () -> Tensor in
            let u = mean + logStd.exp() * noise
            return squashedGaussianLogProbability(mean: mean, logStd: logStd, preTanh: u).sum()
        }
        let grads = tape.gradients(of: total, wrt: [mean, logStd])
        var expectedMean: [Float] = [], expectedLogStd: [Float] = []
        for k in 0..<6 {
            let sigmaEpsilon = Double(Foundation.exp(logStd.scalars[k]) * noise.scalars[k])
            let t = Foundation.tanh(Double(mean.scalars[k]) + sigmaEpsilon)
            expectedMean.append(Float(2 * t))
            expectedLogStd.append(Float(-1 + 2 * t * sigmaEpsilon))
        }
        assertClose(grads[0], expectedMean, atol: 1e-5)
        assertClose(grads[1], expectedLogStd, atol: 1e-5)
    }

    // MARK: Soft Bellman target

    /// r = [1, −0.5, 2], done = [0, 1, 0], Q̄₁′ = [10, 3, −1], Q̄₂′ = [8, 4, −2],
    /// log π′ = [−1, 0.5, 2], α = 0.2, γ = 0.9:
    /// row 0: min = 8, 8 − 0.2·(−1) = 8.2, 1 + 0.9·8.2 = 8.38;
    /// row 1: terminated, −0.5;
    /// row 2: min = −2, −2 − 0.2·2 = −2.4, 2 + 0.9·(−2.4) = −0.16.
    /// The same row 1 truncated by a time limit (done = 0) bootstraps:
    /// −0.5 + 0.9·(3 − 0.1) = 2.11. The target carries no gradient.
    func testSoftBellmanTarget_handComputed_terminationStopsBootstrap() {
        let nextQ1 = Tensor([10, 3, -1])
        nextQ1.requiresGradient = true
        let tape = GradientTape()
        var terminated: Tensor!
        let loss = tape.record { () -> Tensor in
            terminated = softBellmanTarget(reward: Tensor([1, -0.5, 2]), done: Tensor([0, 1, 0]), nextQ1: nextQ1,
                                           nextQ2: Tensor([8, 4, -2]), nextLogProbability: Tensor([-1, 0.5, 2]),
                                           alpha: 0.2, gamma: 0.9)
            return terminated.sum()
        }
        assertClose(terminated, [8.38, -0.5, -0.16], atol: 1e-5)
        assertClose(tape.gradients(of: loss, wrt: [nextQ1])[0], [0, 0, 0])
        let truncated = softBellmanTarget(reward: Tensor([1, -0.5, 2]), done: Tensor([0, 0, 0]), nextQ1: Tensor([10, 3, -1]),
                                          nextQ2: Tensor([8, 4, -2]), nextLogProbability: Tensor([-1, 0.5, 2]),
                                          alpha: 0.2, gamma: 0.9)
        assertClose(truncated, [8.38, 2.11, -0.16], atol: 1e-5)
    }

    /// Actor loss: α = 0.5, log π = [−1, 2], Q₁ = [3, 0], Q₂ = [1, 4]:
    /// mean(0.5·[−1, 2] − [1, 0]) = mean([−1.5, 1]) = −0.25.
    /// Critic loss: y = [1, 2], Q₁ = [0, 2], Q₂ = [3, 1]: (1 + 0)/2 + (4 + 1)/2 = 3.
    func testActorAndCriticLosses_handComputed() {
        let actor = sacActorLoss(logProbability: Tensor([-1, 2]), q1: Tensor([3, 0]), q2: Tensor([1, 4]), alpha: 0.5)
        assertClose(actor.scalar, -0.25, atol: 1e-6)
        let critic = sacCriticLoss(q1: Tensor([0, 2]), q2: Tensor([3, 1]), target: Tensor([1, 2]))
        assertClose(critic.scalar, 3, atol: 1e-6)
    }

    // MARK: Polyak averaging

    func testPolyakUpdate_tauOneCopies_tauZeroKeeps_tauHalfIsTheMidpoint() {
        let source = Tensor([5, -2, 7])
        let cases: [(tau: Float, expected: [Float])] = [(1, [5, -2, 7]), (0, [1, 2, 3]), (0.5, [3, 0, 5])]
        for (tau, expected) in cases {
            let target = Tensor([1, 2, 3])
            polyakUpdate(target: [target], source: [source], tau: tau)
            assertClose(target, expected, atol: 1e-6, "τ = \(tau)")
        }
        assertClose(source, [5, -2, 7], atol: 0, rtol: 0, "the source is untouched")

        var rng = RandomGenerator(seed: 31)
        let online = SACQNetwork(observationSize: 2, actionSize: 1, hiddenSizes: [4], using: &rng)
        let target = SACQNetwork(observationSize: 2, actionSize: 1, hiddenSizes: [4], using: &rng)
        let before = target.parameters.map(\.scalars)
        polyakUpdate(target: target, source: online, tau: 0.25)
        for (k, (after, old)) in zip(target.parameters.map(\.scalars), before).enumerated() {
            let expected = zip(old, online.parameters[k].scalars).map { 0.75 * $0 + 0.25 * $1 }
            assertClose(after, expected, atol: 1e-6, "parameter \(k)")
        }
    }

    // MARK: Temperature

    /// log α = log 0.5, log π = [−1, −3] (entropy estimate 2), H̄ = −1:
    /// J = −log α·mean(log π + H̄) = −log 0.5·(−3) = 3·log 0.5; ∂J/∂log α =
    /// −mean(log π + H̄) = 3 > 0, so a descent step lowers α: the entropy is
    /// above its target. Nothing reaches log π (detached).
    func testTemperatureLoss_valueAndGradientSign() {
        let logAlpha = Tensor(Float(Foundation.log(0.5)))
        logAlpha.requiresGradient = true
        let logProbability = Tensor([-1, -3])
        logProbability.requiresGradient = true
        let tape = GradientTape()
        let loss = tape.record { temperatureLoss(logAlpha: logAlpha, logProbability: logProbability, targetEntropy: -1) }
        assertClose(loss.scalar, Float(3 * Foundation.log(0.5)), atol: 1e-6)
        let grads = tape.gradients(of: loss, wrt: [logAlpha, logProbability])
        assertClose(grads[0].scalar, 3, atol: 1e-6)
        assertClose(grads[1], [0, 0])
        let optimizer = Adam([(name: "log_alpha", tensor: logAlpha)], learningRate: 0.1)
        optimizer.step([grads[0]])
        XCTAssertLessThan(Foundation.exp(logAlpha.scalar), 0.5, "α falls while the entropy is above target")

        // Entropy 0.5 below the target 1: the gradient is negative, α rises.
        let below = GradientTape()
        let lossBelow = below.record { temperatureLoss(logAlpha: logAlpha, logProbability: Tensor([-0.5, -0.5]), targetEntropy: 1) }
        XCTAssertLessThan(below.gradients(of: lossBelow, wrt: [logAlpha])[0].scalar, 0)
        XCTAssertEqual(defaultTargetEntropy(actionSize: 3), -3)
    }
}
