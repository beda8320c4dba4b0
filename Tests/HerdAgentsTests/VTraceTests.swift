import Foundation
import HerdAgents
import HerdCore
import HerdTestSupport
import XCTest

final class VTraceTests: XCTestCase {
    /// rlax's fixture (`rlax/_src/vtrace_test.py`, `VTraceTest.setUp`), stored
    /// there batch-major `[B = 2, T = 4]`; transposed here to time-major. Its
    /// expected values were computed with ρ̄ = 1, ρ̄ₚ𝓰 = 1, λ = 1 (the test
    /// calls `vtrace_td_error_and_advantage` with its defaults), and its
    /// `errors` are vₛ − V(xₛ).
    func testVTrace_matchesRlaxFixture() {
        let behaviourLogits: [[[Float]]] = [[[8.9, 0.7], [5.0, 1.0], [0.6, 0.1], [-0.9, -0.1]],
                                            [[0.3, -5.0], [1.0, -8.0], [0.3, 1.7], [4.7, 3.3]]]
        let targetLogits: [[[Float]]] = [[[0.4, 0.5], [9.2, 8.8], [0.7, 4.4], [7.9, 1.4]],
                                         [[1.0, 0.9], [1.0, -1.0], [-4.3, 8.7], [0.8, 0.3]]]
        let actions = [[0, 1, 0, 0], [1, 0, 0, 1]]
        let rewards: [[Float]] = [[-1.3, -1.3, 2.3, 42.0], [1.3, 5.3, -3.3, -5.0]]
        let discounts: [[Float]] = [[0, 0.89, 0.85, 0.99], [0.88, 1, 0.83, 0.95]]
        let values: [[Float]] = [[2.1, 1.1, -3.1, 0.0], [3.1, 0.1, -1.1, 7.4]]
        let bootstrap: [Float] = [8.4, -1.2]
        let expectedTD: [[Float]] = [[-1.6155143, -3.4973226, 1.8670533, 5.0316002e1],
                                     [1.4662437, 3.6116405, -8.3327293e-5, -1.3540000e1]]
        let expectedPG: [[Float]] = [[-1.6155143, -3.4973226, 1.8670534, 5.0316002e1],
                                     [1.4662433, 3.6116405, -8.3369283e-05, -1.3540000e+1]]
        func logSoftmax(_ logits: [Float], _ k: Int) -> Float {
            let m = logits.max()!
            return logits[k] - m - Foundation.log(logits.map { Foundation.exp($0 - m) }.reduce(0, +))
        }
        func timeMajor(_ x: [[Float]]) -> [Float] { (0..<4).flatMap { t in (0..<2).map { b in x[b][t] } } }
        let logRhos = (0..<2).map { b in
            (0..<4).map { t in logSoftmax(targetLogits[b][t], actions[b][t]) - logSoftmax(behaviourLogits[b][t], actions[b][t]) }
        }
        let out = vtrace(logRhos: timeMajor(logRhos), discounts: timeMajor(discounts), rewards: timeMajor(rewards),
                         values: timeMajor(values), bootstrapValues: bootstrap)
        let td = zip(out.vs, timeMajor(values)).map { $0 - $1 }
        assertClose(td, timeMajor(expectedTD), atol: 2e-4, rtol: 1e-3)
        assertClose(out.pgAdvantages, timeMajor(expectedPG), atol: 2e-4, rtol: 1e-3)
    }

    /// Equation (1) of the IMPALA paper with per-step discounts, written as the sum it is:
    /// vₛ = V(xₛ) + Σₜ₌ₛ^{T−1} (Πᵢ₌ₛ^{t−1} discountᵢ·cᵢ) δₜV.
    func slowVTrace(logRhos: [Float], discounts: [Float], rewards: [Float], values: [Float], bootstrap: [Float],
                    settings: VTraceSettings) -> VTraceOutput {
        let b = bootstrap.count, steps = values.count / b
        func value(_ t: Int, _ k: Int) -> Double { t < steps ? Double(values[t * b + k]) : Double(bootstrap[k]) }
        func clipped(_ x: Double, _ c: Float?) -> Double { c.map { min(Double($0), x) } ?? x }
        var vs = [Float](repeating: 0, count: values.count), pg = vs
        for k in 0..<b {
            for s in 0..<steps {
                var total = value(s, k), weight = 1.0
                for t in s..<steps {
                    let i = t * b + k, rho = Foundation.exp(Double(logRhos[i]))
                    total += weight * clipped(rho, settings.clipRho) * (Double(rewards[i]) + Double(discounts[i]) * value(t + 1, k) - value(t, k))
                    weight *= Double(discounts[i]) * Double(settings.lambda) * clipped(rho, settings.clipC)
                }
                vs[s * b + k] = Float(total)
            }
            for s in 0..<steps {
                let i = s * b + k
                let next = s + 1 < steps ? Double(vs[i + b]) : Double(bootstrap[k])
                pg[i] = Float(clipped(Foundation.exp(Double(logRhos[i])), settings.clipPGRho)
                    * (Double(rewards[i]) + Double(discounts[i]) * next - value(s, k)))
            }
        }
        return VTraceOutput(vs: vs, pgAdvantages: pg)
    }

    struct Problem { var logRhos, discounts, rewards, values, bootstrap: [Float] }

    func randomProblem(_ rng: inout RandomGenerator, steps: Int, batch: Int) -> Problem {
        let n = steps * batch
        return Problem(logRhos: (0..<n).map { _ in Float(rng.nextNormal()) * 0.8 },
                       discounts: (0..<n).map { _ in rng.nextUniform() < 0.15 ? 0 : 0.97 },
                       rewards: (0..<n).map { _ in Float(rng.nextNormal()) },
                       values: (0..<n).map { _ in Float(rng.nextNormal()) },
                       bootstrap: (0..<batch).map { _ in Float(rng.nextNormal()) })
    }

    func run(_ p: Problem, _ settings: VTraceSettings) -> VTraceOutput {
        vtrace(logRhos: p.logRhos, discounts: p.discounts, rewards: p.rewards, values: p.values,
               bootstrapValues: p.bootstrap, settings: settings)
    }

    func testVTrace_matchesSlowPaperVersion_onRandomInputs() {
        var rng = RandomGenerator(seed: 21)
        let variants = [VTraceSettings(), VTraceSettings(clipRho: 2, clipC: 0.5, clipPGRho: 1.5, lambda: 0.9),
                        VTraceSettings(clipRho: nil, clipC: nil, clipPGRho: nil, lambda: 0.7)]
        for trial in 0..<24 {
            let p = randomProblem(&rng, steps: 1 + trial % 9, batch: 1 + trial % 5)
            let settings = variants[trial % variants.count]
            let fast = run(p, settings)
            let slow = slowVTrace(logRhos: p.logRhos, discounts: p.discounts, rewards: p.rewards, values: p.values,
                                  bootstrap: p.bootstrap, settings: settings)
            assertClose(fast.vs, slow.vs, atol: 1e-4, rtol: 1e-4)
            assertClose(fast.pgAdvantages, slow.pgAdvantages, atol: 1e-4, rtol: 1e-4)
        }
    }

    /// On-policy (all ρ = 1) with λ = 1, vₛ is the n-step bootstrapped return
    /// Gₛ = rₛ + discountₛ·Gₛ₊₁, G_T = V(x_T), and the advantage is Gₛ − V(xₛ).
    func testVTrace_onPolicy_equalsBootstrappedReturns() {
        var rng = RandomGenerator(seed: 22)
        var p = randomProblem(&rng, steps: 7, batch: 3)
        p.logRhos = [Float](repeating: 0, count: p.values.count)
        let out = run(p, VTraceSettings())
        var returns = [Float](repeating: 0, count: p.values.count)
        var next = p.bootstrap
        for t in stride(from: 6, through: 0, by: -1) {
            for b in 0..<3 {
                let i = t * 3 + b
                next[b] = p.rewards[i] + p.discounts[i] * next[b]
                returns[i] = next[b]
            }
        }
        assertClose(out.vs, returns, atol: 1e-5)
        assertClose(out.pgAdvantages, zip(returns, p.values).map { $0 - $1 }, atol: 1e-5)
    }

    /// Weights above ρ̄ = c̄ = ρ̄ₚ𝓰 = 1 are clipped to 1, so a rollout whose
    /// every ρ is above 1 gives exactly the on-policy targets; without
    /// clipping it does not.
    func testVTrace_rhoClipping_capsWeightsAboveThreshold() {
        var rng = RandomGenerator(seed: 23)
        var p = randomProblem(&rng, steps: 5, batch: 2)
        var onPolicy = p
        onPolicy.logRhos = [Float](repeating: 0, count: p.values.count)
        p.logRhos = p.logRhos.map { Swift.abs($0) + 0.2 }
        let clipped = run(p, VTraceSettings())
        let reference = run(onPolicy, VTraceSettings())
        assertClose(clipped.vs, reference.vs, atol: 1e-6)
        assertClose(clipped.pgAdvantages, reference.pgAdvantages, atol: 1e-6)
        let unclipped = run(p, VTraceSettings(clipRho: nil, clipC: nil, clipPGRho: nil))
        XCTAssertGreaterThan(zip(unclipped.vs, reference.vs).map { Swift.abs($0 - $1) }.max()!, 1e-2)
    }

    /// λ = 0 cuts every trace: vₛ = V(xₛ) + ρ̄ₛ·δₛ, a one-step target.
    func testVTrace_lambdaZero_isOneStepTarget() {
        var rng = RandomGenerator(seed: 24)
        let p = randomProblem(&rng, steps: 4, batch: 3)
        let out = run(p, VTraceSettings(lambda: 0))
        for i in p.values.indices {
            let next = i + 3 < p.values.count ? p.values[i + 3] : p.bootstrap[i % 3]
            let rho = min(1, Foundation.exp(p.logRhos[i]))
            XCTAssertEqual(out.vs[i], p.values[i] + rho * (p.rewards[i] + p.discounts[i] * next - p.values[i]), accuracy: 1e-5)
        }
    }
}
