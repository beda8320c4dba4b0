import HerdAgents
import HerdCore
import HerdTestSupport
import XCTest

final class GAETests: XCTestCase {
    /// Hand-computed: δ = [1 + 0.9·1 − 0.5, 2 + 0.9·1.5 − 1, 3 + 0·2 − 1.5] = [1.4, 2.35, 1.5];
    /// A₂ = 1.5, A₁ = 2.35 + 0.9·0.5·1.5 = 3.025, A₀ = 1.4 + 0.45·3.025 = 2.76125.
    func testGAE_handComputedValues() {
        let a = generalizedAdvantages(rewards: [1, 2, 3], discounts: [0.9, 0.9, 0], values: [0.5, 1, 1.5, 2],
                                      lambda: 0.5, batchSize: 1)
        assertClose(a, [2.76125, 3.025, 1.5])
    }

    /// Aₜ = Σₗ (Πⱼ₌ₜ^{t+l−1} λ·discountⱼ) δₜ₊ₗ — eq. 16 of Schulman et al. 2016
    /// with per-step discounts, written as the sum it is.
    func slowGAE(rewards: [Float], discounts: [Float], values: [Float], lambda: Float, batchSize b: Int) -> [Float] {
        let steps = rewards.count / b
        var out = [Float](repeating: 0, count: rewards.count)
        for t in 0..<steps {
            for k in 0..<b {
                var total: Double = 0, weight: Double = 1
                for l in t..<steps {
                    let delta = Double(rewards[l * b + k]) + Double(discounts[l * b + k]) * Double(values[(l + 1) * b + k]) - Double(values[l * b + k])
                    total += weight * delta
                    weight *= Double(lambda) * Double(discounts[l * b + k])
                }
                out[t * b + k] = Float(total)
            }
        }
        return out
    }

    func randomProblem(_ rng: inout RandomGenerator, steps: Int, batch: Int) -> (r: [Float], d: [Float], v: [Float]) {
        let r = (0..<(steps * batch)).map { _ in Float(rng.nextNormal()) }
        let d = (0..<(steps * batch)).map { _ in rng.nextUniform() < 0.15 ? Float(0) : Float(0.97) }
        let v = (0..<((steps + 1) * batch)).map { _ in Float(rng.nextNormal()) }
        return (r, d, v)
    }

    func testGAE_matchesSlowPaperVersion_onRandomInputs() {
        var rng = RandomGenerator(seed: 11)
        for trial in 0..<20 {
            let steps = 1 + trial % 9, batch = 1 + trial % 4
            let (r, d, v) = randomProblem(&rng, steps: steps, batch: batch)
            let lambda = Float(rng.nextUniform())
            assertClose(generalizedAdvantages(rewards: r, discounts: d, values: v, lambda: lambda, batchSize: batch),
                        slowGAE(rewards: r, discounts: d, values: v, lambda: lambda, batchSize: batch), atol: 1e-5, rtol: 1e-4)
        }
    }

    func testGAE_lambdaZero_isOneStepTDError() {
        var rng = RandomGenerator(seed: 12)
        let (r, d, v) = randomProblem(&rng, steps: 6, batch: 3)
        var deltas = [Float]()
        for i in 0..<r.count { deltas.append(r[i] + d[i] * v[i + 3] - v[i]) }
        assertClose(generalizedAdvantages(rewards: r, discounts: d, values: v, lambda: 0, batchSize: 3), deltas, atol: 1e-6)
    }

    /// λ = 1: A + v = the discounted return Gₜ = rₜ + discountₜ·Gₜ₊₁, G_T = v_T.
    func testGAE_lambdaOne_givesMonteCarloReturns() {
        var rng = RandomGenerator(seed: 13)
        let (r, d, v) = randomProblem(&rng, steps: 8, batch: 2)
        let a = generalizedAdvantages(rewards: r, discounts: d, values: v, lambda: 1, batchSize: 2)
        var g = Array(v.suffix(2))
        var returns = [Float](repeating: 0, count: r.count)
        for t in stride(from: 7, through: 0, by: -1) {
            for k in 0..<2 {
                g[k] = r[t * 2 + k] + d[t * 2 + k] * g[k]
                returns[t * 2 + k] = g[k]
            }
        }
        assertClose(zip(a, v).map { $0 + $1 }, returns, atol: 1e-5, rtol: 1e-5)
    }

    func testGAE_doesNotCrossEpisodeBoundaries() {
        // The episode ends at t = 0 (discount 0): A₀ must ignore everything after it.
        let a = generalizedAdvantages(rewards: [1, 100], discounts: [0, 0.9], values: [0.25, 50, 60], lambda: 1, batchSize: 1)
        assertClose(a[0], 0.75)
    }

    func testStandardized_hasZeroMeanUnitStd() {
        let s = standardized([1, 2, 3, 4])
        XCTAssertEqual(Double(s.reduce(0, +)), 0, accuracy: 1e-6)
        XCTAssertEqual(Double(s.map { $0 * $0 }.reduce(0, +)) / 4, 1, accuracy: 1e-5)
        XCTAssertEqual(standardized([5]), [0])
    }
}
