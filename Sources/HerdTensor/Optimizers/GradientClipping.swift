/// √(Σ‖gᵢ‖²) over all gradients, computed in Double.
public func globalNorm(_ gradients: [Tensor]) -> Float {
    var sum = 0.0
    for g in gradients {
        for i in 0..<g.count { sum += Double(g.base[i]) * Double(g.base[i]) }
    }
    return Float(sum.squareRoot())
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
