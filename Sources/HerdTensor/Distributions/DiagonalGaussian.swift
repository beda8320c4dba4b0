import Foundation

/// A batch of Gaussians with diagonal covariance: `mean: [B, d]` and
/// `logStd` of shape `[B, d]` or `[d]` (state-independent, broadcast).
/// Log-probabilities, entropies and KL sum over the `d` dimensions.
public struct DiagonalGaussian {
    public let mean: Tensor
    public let logStd: Tensor

    static let halfLogTwoPi = Float(0.5 * Foundation.log(2 * Double.pi))

    public init(mean: Tensor, logStd: Tensor) {
        require(mean.rank == 2, "DiagonalGaussian expects mean [B, d], got \(mean.shape)")
        require(logStd.shape == mean.shape || logStd.shape == [mean.shape[1]],
                     "DiagonalGaussian: logStd \(logStd.shape) does not fit mean \(mean.shape)")
        self.mean = mean
        self.logStd = logStd
    }

    public var dimension: Int { mean.shape[1] }

    /// `Σ_d [−½((x − μ)/σ)² − log σ − ½ log 2π]`, `[B]`.
    public func logProbability(of x: Tensor) -> Tensor {
        let z = (x - mean) * (-logStd).exp()
        return (z.square() * -0.5 - logStd - Self.halfLogTwoPi).sum(axis: 1)
    }

    /// `Σ_d [log σ + ½ log(2πe)]`, `[B]`.
    public func entropy() -> Tensor {
        let perDimension = logStd + (Self.halfLogTwoPi + 0.5)
        let full = perDimension.rank == 1 ? perDimension.broadcasted(to: mean.shape) : perDimension
        return full.sum(axis: 1)
    }

    /// `KL(self ‖ other) = Σ_d [log(σ₂/σ₁) + (σ₁² + (μ₁ − μ₂)²) / (2σ₂²) − ½]`, `[B]`.
    public func kl(to other: DiagonalGaussian) -> Tensor {
        let varianceRatio = ((logStd - other.logStd) * 2).exp()
        let meanTerm = (mean - other.mean).square() * (other.logStd * -2).exp()
        let perDimension = (other.logStd - logStd) + (varianceRatio + meanTerm) * 0.5 - 0.5
        return perDimension.sum(axis: 1)
    }

    /// `μ + σ ⊙ ε` with `ε ~ 𝒩(0, I)` from `rng`: reparameterised, so the
    /// sample is differentiable in μ and log σ.
    public func sample(using rng: inout RandomGenerator) -> Tensor {
        let noise = Tensor(uninitializedShape: mean.shape, device: mean.device)
        for i in 0..<noise.count { noise.base[i] = Float(rng.nextNormal()) }
        if !mean.device.isHost { mean.device.chargeTransfer(bytes: 4 * noise.count, toDevice: true) }
        return mean + logStd.exp() * noise
    }

    /// The mean (the deterministic action).
    public func mode() -> Tensor { mean }
}
