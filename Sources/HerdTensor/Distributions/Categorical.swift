import Foundation

/// A batch of categorical distributions over `n` classes, from unnormalised
/// log-probabilities `logits: [B, n]`. Every quantity is differentiable with
/// respect to the logits.
public struct Categorical {
    public let logits: Tensor
    /// `log softmax(logits)`, `[B, n]`.
    public let logProbabilities: Tensor

    public init(logits: Tensor) {
        require(logits.rank == 2, "Categorical expects logits [B, n], got \(logits.shape)")
        self.logits = logits
        self.logProbabilities = logits.logSoftmax()
    }

    public var batchSize: Int { logits.shape[0] }
    public var classCount: Int { logits.shape[1] }

    /// `log p(aᵢ)` for one action per row, `[B]`.
    public func logProbability(of actions: [Int]) -> Tensor { logProbabilities.gather(lastAxis: actions) }

    /// `H = −Σ p log p`, `[B]`.
    public func entropy() -> Tensor {
        -(logProbabilities.exp() * logProbabilities).sum(axis: 1)
    }

    /// `KL(self ‖ other) = Σ p (log p − log q)`, `[B]`.
    public func kl(to other: Categorical) -> Tensor {
        (logProbabilities.exp() * (logProbabilities - other.logProbabilities)).sum(axis: 1)
    }

    /// One draw per row, by inverting the CDF with a uniform from `rng`.
    public func sample(using rng: inout RandomGenerator) -> [Int] {
        let lp = logProbabilities.readableOnHost()
        let n = classCount
        return (0..<batchSize).map { row in
            let u = rng.nextUniform()
            var cumulative = 0.0
            for k in 0..<n {
                cumulative += Foundation.exp(Double(lp.base[row * n + k]))
                if u < cumulative { return k }
            }
            // Rounding left the total a hair below 1: take the last class with mass.
            return (0..<n).last { lp.base[row * n + $0] > -Float.infinity } ?? n - 1
        }
    }

    /// The most likely class per row (first on ties).
    public func mode() -> [Int] {
        let lp = logits.readableOnHost()
        let n = classCount
        return (0..<batchSize).map { row in
            var best = 0
            for k in 1..<n where lp.base[row * n + k] > lp.base[row * n + best] { best = k }
            return best
        }
    }
}
