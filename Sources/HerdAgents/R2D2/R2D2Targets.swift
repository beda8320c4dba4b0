import Foundation
import HerdCore

/// R2D2's value rescaling (Pohlen et al. 2018, "Observe and Look Further";
/// seed_rl `value_function_rescaling`): `h(x) = sign(x)(√(|x| + 1) − 1) + εx`.
public func valueRescaling(_ x: Float, epsilon: Float = 1e-3) -> Float {
    let sign: Float = x < 0 ? -1 : 1
    return sign * ((abs(x) + 1).squareRoot() - 1) + epsilon * x
}

/// The exact inverse of ``valueRescaling(_:epsilon:)`` (Pohlen et al. 2018,
/// proposition A.2; seed_rl `inverse_value_function_rescaling`):
/// `h⁻¹(x) = sign(x)((√(1 + 4ε(|x| + 1 + ε)) − 1) / (2ε))² − 1)`.
public func inverseValueRescaling(_ x: Float, epsilon: Float = 1e-3) -> Float {
    let sign: Float = x < 0 ? -1 : 1
    // In Double: the difference under the square loses float precision for large |x|.
    let e = Double(epsilon), ax = Double(abs(x))
    let root = ((1 + 4 * e * (ax + 1 + e)).squareRoot() - 1) / (2 * e)
    return sign * Float(root * root - 1)
}

/// n-step double-Q targets over a batch of sequences, time-major `[T, B]`
/// (element `(t, b)` at `t·B + b`), as R2D2 computes them (Kapturowski et
/// al. 2019, §2; seed_rl `agents/r2d2/learner.py`):
///
///     yₜ = h( Σₖ₌₀^{n'−1} (Πⱼ₌₀^{k−1} dₜ₊ⱼ) rₜ₊ₖ + (Πⱼ₌₀^{n'−1} dₜ₊ⱼ) · h⁻¹(Q_target(sₜ₊ₙ', argmaxₐ Q_online(sₜ₊ₙ', a))) )
///
/// for transitions `t ∈ [0, T − 1)` (state `T − 1` has no successor in the
/// sequence), with `n' = min(n, T − 1 − t)`: near the end of a sequence the
/// window shortens and bootstraps from its last state (rlax's
/// `n_step_bootstrapped_returns` does the same). `dₜ` is the discount of
/// transition `t`: γ, or 0 where the episode ended — the sum then stops and
/// the bootstrap is multiplied away. With `mask`, the window also stops at
/// the first later step whose mask is 0 and bootstraps there: that is where
/// a sequence holds the final observation of an episode cut by a time limit
/// (``SequenceBuilder``); after a terminated end the discount is already 0.
///
/// - Parameters:
///   - rewards, discounts: `[T, B]` (row `T − 1` is unused).
///   - onlineQ, targetQ: `[T, B, A]`.
///   - mask: `[T, B]`, 1 for real steps, or nil for all real.
/// - Returns: `[T − 1, B]` targets, in rescaled space when `rescale` (compare them with the online Q values directly).
public func nStepDoubleQTargets(rewards: [Float], discounts: [Float], onlineQ: [Float], targetQ: [Float],
                                steps: Int, batchSize: Int, actions: Int, n: Int, rescale: Bool = true,
                                epsilon: Float = 1e-3, mask: [Float]? = nil) -> [Float] {
    let (T, B, A) = (steps, batchSize, actions)
    require(T >= 2 && B > 0 && A > 0 && n >= 1, "nStepDoubleQTargets: T = \(T) (≥ 2), B = \(B), A = \(A), n = \(n)")
    require(rewards.count == T * B && discounts.count == T * B && onlineQ.count == T * B * A && targetQ.count == T * B * A,
            "nStepDoubleQTargets: arrays do not match [T, B] = [\(T), \(B)] and A = \(A)")
    require(mask.map { $0.count == T * B } ?? true, "nStepDoubleQTargets: the mask does not match [T, B] = [\(T), \(B)]")
    // Bootstrap values: Q_target(s, argmax_a Q_online(s, a)), back in reward space.
    var bootstrap = [Float](repeating: 0, count: T * B)
    for i in 0..<(T * B) {
        var best = 0
        for a in 1..<A where onlineQ[i * A + a] > onlineQ[i * A + best] { best = a }
        let q = targetQ[i * A + best]
        bootstrap[i] = rescale ? inverseValueRescaling(q, epsilon: epsilon) : q
    }
    var targets = [Float](repeating: 0, count: (T - 1) * B)
    for t in 0..<(T - 1) {
        let window = min(n, T - 1 - t)
        for b in 0..<B {
            var window = window
            if let mask, let stop = (1..<(window + 1)).first(where: { mask[(t + $0) * B + b] == 0 }) { window = stop }
            var total: Float = 0, carried: Float = 1
            for k in 0..<window {
                let i = (t + k) * B + b
                total += carried * rewards[i]
                carried *= discounts[i]
            }
            total += carried * bootstrap[(t + window) * B + b]
            targets[t * B + b] = rescale ? valueRescaling(total, epsilon: epsilon) : total
        }
    }
    return targets
}

/// R2D2's sequence priority from its absolute TD errors (Kapturowski et al.
/// 2019, §2.3): `η·max|δ| + (1 − η)·mean|δ|`; 0 for no errors.
public func sequencePriority(_ absoluteErrors: [Float], eta: Float) -> Float {
    guard !absoluteErrors.isEmpty else { return 0 }
    let maximum = absoluteErrors.max()!
    let mean = absoluteErrors.reduce(0, +) / Float(absoluteErrors.count)
    return eta * maximum + (1 - eta) * mean
}
