/// √(Σ‖gᵢ‖²) over all gradients, computed in Double in four independent
/// lanes (a single running sum is one long chain of dependent adds: 4× slower).
public func globalNorm(_ gradients: [Tensor]) -> Float {
    var lanes = SIMD4<Double>()
    for g in gradients {
        let p = UnsafePointer(g.base), count = g.count
        var i = 0
        while i + 4 <= count {
            let x = SIMD4<Double>(Double(p[i]), Double(p[i + 1]), Double(p[i + 2]), Double(p[i + 3]))
            lanes += x * x
            i += 4
        }
        while i < count {
            lanes[0] += Double(p[i]) * Double(p[i])
            i += 1
        }
    }
    return Float(lanes.sum().squareRoot())
}

/// ``clipByGlobalNorm(_:maxNorm:)`` when `maxNorm > 0`; otherwise the
/// gradients unchanged and their norm (a learner's "0: no clipping").
public func clipByGlobalNormIfPositive(_ gradients: [Tensor], maxNorm: Float) -> (gradients: [Tensor], norm: Float) {
    maxNorm > 0 ? clipByGlobalNorm(gradients, maxNorm: maxNorm) : (gradients, globalNorm(gradients))
}

/// Rescales gradients so their global norm is at most `maxNorm`, as
/// TensorFlow's `clip_by_global_norm`: `gᵢ · maxNorm / max(norm, maxNorm)`.
/// Returns the clipped gradients and the norm before clipping (log it).
public func clipByGlobalNorm(_ gradients: [Tensor], maxNorm: Float) -> (gradients: [Tensor], norm: Float) {
    require(maxNorm > 0, "clipByGlobalNorm: maxNorm \(maxNorm) must be positive")
    let norm = globalNorm(gradients)
    guard norm > maxNorm, norm.isFinite else { return (gradients, norm) }
    let scale = maxNorm / norm
    return (withoutGradients { gradients.map { $0.mapped { $0 * scale } } }, norm)
}

/// A learning rate as a function of the update count.
public enum LearningRateSchedule: Equatable, Sendable {
    case constant(Float)
    /// From `initial` at step 0 to `final` at `steps`, linearly, then flat.
    case linear(initial: Float, final: Float, steps: Int)

    public func rate(at step: Int) -> Float {
        switch self {
        case let .constant(rate):
            return rate
        case let .linear(initial, final, steps):
            guard steps > 0 else { return final }
            let fraction = Float(min(max(step, 0), steps)) / Float(steps)
            return initial + (final - initial) * fraction
        }
    }
}
