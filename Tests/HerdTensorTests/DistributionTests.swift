import Foundation
import HerdTensor
import HerdTestSupport
import XCTest

final class DistributionTests: XCTestCase {
    func testCategorical_entropyClosedForms() {
        // Uniform over n classes: H = log n. A point mass (−∞ elsewhere in effect): H → 0.
        let uniform = Categorical(logits: Tensor.zeros([1, 4]))
        assertClose(uniform.entropy().scalar, Float(Foundation.log(4.0)), atol: 1e-6)
        let peaked = Categorical(logits: Tensor([50, 0, 0], shape: [1, 3]))
        XCTAssertLessThan(peaked.entropy().scalar, 1e-18 + 1e-6)
        // p = (0.2, 0.3, 0.5): H = −Σ p ln p = 1.0296530140645737.
        let p: [Double] = [0.2, 0.3, 0.5]
        let d = Categorical(logits: Tensor(p.map { Float(Foundation.log($0)) }, shape: [1, 3]))
        assertClose(d.entropy().scalar, 1.0296530140645737, atol: 1e-6)
        assertClose(d.logProbability(of: [2]).scalar, Float(Foundation.log(0.5)), atol: 1e-6)
    }

    func testCategorical_klClosedForm() {
        // KL(p ‖ q) for p = (0.2, 0.3, 0.5), q = (0.1, 0.6, 0.3):
        // Σ p ln(p/q) = 0.2 ln 2 + 0.3 ln 0.5 + 0.5 ln(5/3) = 0.18609809382700176
        let p = Categorical(logits: Tensor([0.2, 0.3, 0.5].map { Float(Foundation.log($0)) }, shape: [1, 3]))
        let q = Categorical(logits: Tensor([0.1, 0.6, 0.3].map { Float(Foundation.log($0)) } .map { $0 + 3 }, shape: [1, 3]))
        assertClose(p.kl(to: q).scalar, 0.18609809382700176, atol: 1e-6)
        assertClose(p.kl(to: p).scalar, 0, atol: 1e-7)
    }

    func testCategorical_sampleFrequenciesAndMode() {
        let probabilities: [Double] = [0.1, 0.6, 0.3]
        let logits = Tensor(probabilities.map { Float(Foundation.log($0)) } + [0, 0, 5], shape: [2, 3])
        let d = Categorical(logits: logits)
        XCTAssertEqual(d.mode(), [1, 2])
        var rng = RandomGenerator(seed: 3)
        var counts = [0, 0, 0]
        let n = 30_000
        for _ in 0..<n { counts[d.sample(using: &rng)[0]] += 1 }
        for k in 0..<3 {
            let sd = (probabilities[k] * (1 - probabilities[k]) / Double(n)).squareRoot()
            XCTAssertEqual(Double(counts[k]) / Double(n), probabilities[k], accuracy: 4 * sd, "class \(k)")
        }
    }

    func testGaussian_closedForms() {
        // Entropy of 𝒩(μ, σ²) per dimension: ½ ln(2πe σ²). With log σ = (0, ln 2): 1.4189385 + 2.1120857.
        let mean = Tensor([0, 1], shape: [1, 2])
        let logStd = Tensor([0, Float(Foundation.log(2.0))])
        let g = DiagonalGaussian(mean: mean, logStd: logStd)
        assertClose(g.entropy().scalar, Float(0.5 * Foundation.log(2 * Double.pi * M_E) * 2 + Foundation.log(2.0)), atol: 1e-6)
        // log 𝒩(x = (1, 1)) = −½·1 − ½ ln 2π + (−ln 2 − ½ ln 2π)
        let expected = -0.5 - Foundation.log(2.0) - Foundation.log(2 * Double.pi)
        assertClose(g.logProbability(of: Tensor([1, 1], shape: [1, 2])).scalar, Float(expected), atol: 1e-6)
        // KL(𝒩(0, 1) ‖ 𝒩(1, 2²)) = ln 2 + (1 + 1)/(2·4) − ½ = 0.4431471805599453 in one dimension.
        let p = DiagonalGaussian(mean: Tensor([0], shape: [1, 1]), logStd: Tensor([0]))
        let q = DiagonalGaussian(mean: Tensor([1], shape: [1, 1]), logStd: Tensor([Float(Foundation.log(2.0))]))
        assertClose(p.kl(to: q).scalar, 0.4431471805599453, atol: 1e-6)
        assertClose(q.kl(to: q).scalar, 0, atol: 1e-6)
    }

    func testGaussian_sampleMoments() {
        let g = DiagonalGaussian(mean: Tensor.full([4000, 1], 3), logStd: Tensor([Float(Foundation.log(0.5))]))
        var rng = RandomGenerator(seed: 5)
        let s = g.sample(using: &rng).scalars
        let mean = s.reduce(0, +) / Float(s.count)
        let variance = s.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(s.count)
        XCTAssertEqual(mean, 3, accuracy: 4 * 0.5 / Float(s.count).squareRoot())
        XCTAssertEqual(variance, 0.25, accuracy: 0.03)
    }
}
