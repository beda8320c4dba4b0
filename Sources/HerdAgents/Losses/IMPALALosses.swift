import Foundation
import HerdCore
import HerdTensor

/// IMPALA's three loss terms, each a mean over the `[T·B]` rows:
/// the policy gradient `−mean(A · log π(a))`, the baseline loss
/// `mean(½(vₛ − V)²)` and the mean entropy. `vs` and `pgAdvantages` are
/// constants (no gradient flows into the targets).
public func impalaLosses(logProbabilities: Tensor, values: Tensor, entropies: Tensor,
                         vs: Tensor, pgAdvantages: Tensor) -> (policy: Tensor, baseline: Tensor, entropy: Tensor) {
    let policy = -(logProbabilities * pgAdvantages.stopGradient()).mean()
    let baseline = ((vs.stopGradient() - values).square() * 0.5).mean()
    return (policy, baseline, entropies.mean())
}

extension PolicyDistribution {
    /// The distributions of rows `range` (a differentiable slice).
    public func rows(_ range: Range<Int>) -> PolicyDistribution {
        switch self {
        case let .categorical(c):
            return .categorical(Categorical(logits: c.logits.slice(axis: 0, range)))
        case let .gaussian(g):
            let logStd = g.logStd.rank == 1 ? g.logStd : g.logStd.slice(axis: 0, range)
            return .gaussian(DiagonalGaussian(mean: g.mean.slice(axis: 0, range), logStd: logStd))
        }
    }
}
