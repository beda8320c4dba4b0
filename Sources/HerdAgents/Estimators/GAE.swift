import HerdCore

/// Generalised advantage estimation (Schulman et al. 2016, "High-Dimensional
/// Continuous Control Using Generalized Advantage Estimation", eq. 16), in
/// rlax's time-major notation (`truncated_generalized_advantage_estimation`):
///
///     δₜ = rₜ + discountₜ · vₜ₊₁ − vₜ
///     Aₜ = δₜ + discountₜ · λ · Aₜ₊₁,        A_T = 0
///
/// where `discountₜ` is γ while the episode goes on after step `t` and 0 where
/// it ended, so neither the bootstrap nor the trace crosses an episode
/// boundary. λ = 0 gives the one-step TD errors; λ = 1 gives discounted
/// returns bootstrapped from `v_T` minus the values.
///
/// - Parameters:
///   - rewards: `rₜ`, `[T, B]` row-major (time-major).
///   - discounts: `discountₜ`, `[T, B]`.
///   - values: `vₜ`, `[T + 1, B]`; the last row is the bootstrap value of the
///     state after the final step.
///   - lambda: λ ∈ [0, 1].
/// - Returns: advantages `Aₜ`, `[T, B]`.
public func generalizedAdvantages(rewards: [Float], discounts: [Float], values: [Float],
                                  lambda: Float, batchSize: Int) -> [Float] {
    require(batchSize > 0 && rewards.count % batchSize == 0, "gae: \(rewards.count) rewards do not form [T, \(batchSize)]")
    require(discounts.count == rewards.count, "gae: \(discounts.count) discounts for \(rewards.count) rewards")
    require(values.count == rewards.count + batchSize, "gae: values must be [T + 1, B], got \(values.count) for \(rewards.count) rewards")
    require((0...1).contains(lambda), "gae: λ = \(lambda) outside [0, 1]")
    let steps = rewards.count / batchSize
    var advantages = [Float](repeating: 0, count: rewards.count)
    var next = [Float](repeating: 0, count: batchSize)
    for t in stride(from: steps - 1, through: 0, by: -1) {
        let row = t * batchSize
        for b in 0..<batchSize {
            let i = row + b
            let delta = rewards[i] + discounts[i] * values[i + batchSize] - values[i]
            next[b] = delta + discounts[i] * lambda * next[b]
            advantages[i] = next[b]
        }
    }
    return advantages
}

/// `(x − mean) / (std + 1e-8)` over all elements (population std), the
/// advantage normalisation of PPO implementations. A single element maps to 0.
public func standardized(_ values: [Float]) -> [Float] {
    guard !values.isEmpty else { return [] }
    var mean = 0.0
    for v in values { mean += Double(v) }
    mean /= Double(values.count)
    var variance = 0.0
    for v in values { variance += (Double(v) - mean) * (Double(v) - mean) }
    let std = (variance / Double(values.count)).squareRoot()
    return values.map { Float((Double($0) - mean) / (std + 1e-8)) }
}
