import Foundation
@testable import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class SACNetworksTests: XCTestCase {
    func actor(sde: Bool) -> SACActor {
        var rng = RandomGenerator(seed: 3)
        return SACActor(observationSize: 3, actionSize: 2, hiddenSizes: [8, 5], stateDependentNoise: sde, logStdInit: -1, using: &rng)
    }

    /// gSDE's Gaussian (Raffin et al. 2022, SB3's `full_std`): the standard
    /// deviation of action j is √(Σᵢ zᵢ² σᵢⱼ² + 10⁻⁶), with z the torso's
    /// last features and σ = exp(log_std); computed by hand here.
    func testStateDependentNoise_varianceIsTheSumOverFeatures_ofZSquaredSigmaSquared() throws {
        let a = actor(sde: true)
        let log = a.sdeLogStd!
        log.assign(Tensor((0..<10).map { Float($0) * 0.1 - 0.8 }, shape: [5, 2]))
        let x = Tensor([0.5, -1, 2, 1, 0.25, -0.5], shape: [2, 3])
        let z = a.torso!(x).scalars, sigma = log.scalars.map { Foundation.exp(Double($0)) }
        let (mean, logStd) = a(x)
        for row in 0..<2 {
            for j in 0..<2 {
                var variance = 0.0
                for i in 0..<5 {
                    let zi = Double(z[row * 5 + i]), s = sigma[i * 2 + j]
                    variance += zi * zi * s * s
                }
                assertClose(logStd.scalars[row * 2 + j], Float(0.5 * Foundation.log(variance + 1e-6)), atol: 1e-5)
            }
        }
        XCTAssertTrue(mean.scalars.allSatisfy { abs($0) <= a.clipMean })
        XCTAssertEqual(a.parameters.count, a.namedParameters.count)
        XCTAssertTrue(a.namedParameters.contains { $0.name == "log_std" })
        XCTAssertFalse(a.namedParameters.contains { $0.name.hasPrefix("log_std_head") })
    }

    /// Acting holds its noise matrix until it is reset: the same
    /// observation gets the same action, smooth exploration across steps.
    func testStateDependentNoise_actingHoldsItsNoiseUntilReset() throws {
        let a = actor(sde: true)
        var rng = RandomGenerator(seed: 9)
        let x = Tensor([0.5, -1, 2], shape: [1, 3])
        let first = try a.act(x, deterministic: false, using: &rng).actions.scalars
        XCTAssertEqual(try a.act(x, deterministic: false, using: &rng).actions.scalars, first)
        try a.resetNoise(using: &rng)
        XCTAssertNotEqual(try a.act(x, deterministic: false, using: &rng).actions.scalars, first)
        XCTAssertEqual(try a.act(x, deterministic: true, using: &rng).actions.scalars, a(x).mean.tanh().scalars)
        let plain = actor(sde: false)
        XCTAssertNotEqual(try plain.act(x, deterministic: false, using: &rng).actions.scalars,
                          try plain.act(x, deterministic: false, using: &rng).actions.scalars, "without gSDE every sample is new")
    }

    /// A sample's log-probability is that of its own pre-tanh value under
    /// the gSDE Gaussian, and its gradient reaches log_std.
    func testStateDependentNoise_sampleLogProbability_matchesTheDistribution_andTrainsLogStd() throws {
        let a = actor(sde: true)
        var rng = RandomGenerator(seed: 4)
        let x = Tensor([0.5, -1, 2, 1, 0.25, -0.5], shape: [2, 3])
        let tape = GradientTape()
        var sampled: (actions: Tensor, logProbabilities: Tensor)!
        let loss = try tape.record { () throws -> Tensor in
            sampled = try a.sample(x, using: &rng)
            return sampled.logProbabilities.mean()
        }
        let (mean, logStd) = withoutGradients { a(x) }
        let u = sampled.actions.scalars.map { Float(atanh(Double(max(min($0, 0.999999), -0.999999)))) }
        let expected = squashedGaussianLogProbability(mean: mean, logStd: logStd, preTanh: Tensor(u, shape: [2, 2]))
        assertClose(sampled.logProbabilities, expected.scalars, atol: 1e-3, rtol: 1e-3)
        let gradient = tape.gradients(of: loss, wrt: [a.sdeLogStd!])[0]
        XCTAssertTrue(gradient.scalars.contains { $0 != 0 } && gradient.scalars.allSatisfy(\.isFinite))
    }
}
