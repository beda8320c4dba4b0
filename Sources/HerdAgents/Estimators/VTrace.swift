import Foundation
import HerdCore

/// V-trace targets and policy-gradient advantages (Espeholt et al. 2018,
/// "IMPALA", section 4.1), matching `vtrace.from_importance_weights` of
/// seed_rl / scalable_agent, with seed_rl's λ.
public struct VTraceOutput: Equatable, Sendable {
    /// Targets `vₛ` for the value function, `[T, B]`.
    public var vs: [Float]
    /// `ρ̄ₚ𝓰,ₜ · (rₜ + discountₜ · vₛ₊₁ − V(xₜ))`, `[T, B]` (vₛ at `T` is the bootstrap value).
    public var pgAdvantages: [Float]

    public init(vs: [Float], pgAdvantages: [Float]) {
        self.vs = vs
        self.pgAdvantages = pgAdvantages
    }
}

/// Clipping thresholds and the trace λ of V-trace. `nil` means no clipping.
public struct VTraceSettings: Equatable, Sendable {
    /// ρ̄: clips the importance weight inside the TD error (the fixed point's policy).
    public var clipRho: Float? = 1
    /// c̄: clips the trace-cutting coefficients (the contraction speed).
    public var clipC: Float? = 1
    /// Clips the importance weight of the policy-gradient advantage.
    public var clipPGRho: Float? = 1
    /// λ multiplies every trace coefficient `cₜ` (seed_rl's `lambda_`); 1 is the paper's V-trace.
    public var lambda: Float = 1

    public init(clipRho: Float? = 1, clipC: Float? = 1, clipPGRho: Float? = 1, lambda: Float = 1) {
        self.clipRho = clipRho
        self.clipC = clipC
        self.clipPGRho = clipPGRho
        self.lambda = lambda
    }
}

/// V-trace in time-major notation: every `[T, B]` array is row-major with
/// time as the outer index (element `(t, b)` at `t·B + b`), as in seed_rl.
///
///     ρₜ = min(ρ̄, e^{log ρₜ}),  cₜ = λ · min(c̄, e^{log ρₜ})
///     δₜ = ρₜ · (rₜ + discountₜ · V(xₜ₊₁) − V(xₜ))
///     vₛ − V(xₛ) = δₛ + discountₛ · cₛ · (vₛ₊₁ − V(xₛ₊₁)),   v_T − V(x_T) = 0
///     advantageₜ = min(ρ̄ₚ𝓰, e^{log ρₜ}) · (rₜ + discountₜ · vₜ₊₁ − V(xₜ))
///
/// where `V(x_T)` is `bootstrapValues` and `discountₜ` is γ while the episode
/// goes on after step `t` and 0 where it ended.
///
/// - Parameters:
///   - logRhos: `log π(aₜ|xₜ) − log μ(aₜ|xₜ)`, `[T, B]` (target over behaviour policy).
///   - discounts, rewards, values: `[T, B]`.
///   - bootstrapValues: `V(x_T)`, `[B]`.
public func vtrace(logRhos: [Float], discounts: [Float], rewards: [Float], values: [Float],
                   bootstrapValues: [Float], settings: VTraceSettings = VTraceSettings()) -> VTraceOutput {
    let batch = bootstrapValues.count
    require(batch > 0 && values.count % batch == 0, "vtrace: \(values.count) values do not form [T, \(batch)]")
    for (name, count) in [("log_rhos", logRhos.count), ("discounts", discounts.count), ("rewards", rewards.count)] {
        require(count == values.count, "vtrace: \(name) has \(count) elements, values have \(values.count)")
    }
    require((0...1).contains(settings.lambda), "vtrace: λ = \(settings.lambda) outside [0, 1]")
    let steps = values.count / batch
    func clip(_ x: Float, _ threshold: Float?) -> Float { threshold.map { Swift.min($0, x) } ?? x }

    var vsMinusValues = [Float](repeating: 0, count: values.count)
    var carry = [Float](repeating: 0, count: batch)
    for t in stride(from: steps - 1, through: 0, by: -1) {
        for b in 0..<batch {
            let i = t * batch + b
            let rho = Foundation.exp(logRhos[i])
            let next = t + 1 < steps ? values[i + batch] : bootstrapValues[b]
            let delta = clip(rho, settings.clipRho) * (rewards[i] + discounts[i] * next - values[i])
            carry[b] = delta + discounts[i] * settings.lambda * clip(rho, settings.clipC) * carry[b]
            vsMinusValues[i] = carry[b]
        }
    }
    var vs = [Float](repeating: 0, count: values.count)
    for i in values.indices { vs[i] = vsMinusValues[i] + values[i] }
    var advantages = [Float](repeating: 0, count: values.count)
    for t in 0..<steps {
        for b in 0..<batch {
            let i = t * batch + b
            let nextVs = t + 1 < steps ? vs[i + batch] : bootstrapValues[b]
            let rho = clip(Foundation.exp(logRhos[i]), settings.clipPGRho)
            advantages[i] = rho * (rewards[i] + discounts[i] * nextVs - values[i])
        }
    }
    return VTraceOutput(vs: vs, pgAdvantages: advantages)
}
