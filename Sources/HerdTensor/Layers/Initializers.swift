import Foundation

/// How a weight matrix `[fanIn, fanOut]` is initialised.
public enum WeightInitializer: Equatable, Sendable {
    /// U(−a, a) with a = gain·√(6 / (fanIn + fanOut)) (Glorot & Bengio 2010).
    case glorotUniform(gain: Float = 1)
    /// A random orthogonal matrix times `gain` (Saxe et al. 2014): orthonormal
    /// columns when fanIn ≥ fanOut, orthonormal rows otherwise. CleanRL and
    /// the PPO implementations use gain √2 for hidden layers, 0.01 for the
    /// policy head and 1 for the value head.
    case orthogonal(gain: Float = 1)

    /// A `[fanIn, fanOut]` host tensor drawn from `rng`.
    public func matrix(fanIn: Int, fanOut: Int, using rng: inout RandomGenerator) -> Tensor {
        switch self {
        case let .glorotUniform(gain):
            let limit = gain * Float((6.0 / Double(fanIn + fanOut)).squareRoot())
            return Tensor.randomUniform([fanIn, fanOut], low: -limit, high: limit, using: &rng)
        case let .orthogonal(gain):
            let q = orthonormalColumns(rows: max(fanIn, fanOut), columns: min(fanIn, fanOut), using: &rng)
            let rows = max(fanIn, fanOut), columns = min(fanIn, fanOut)
            var out = [Float](repeating: 0, count: fanIn * fanOut)
            for r in 0..<rows {
                for c in 0..<columns {
                    let value = gain * Float(q[r * columns + c])
                    if fanIn >= fanOut { out[r * fanOut + c] = value } else { out[c * fanOut + r] = value }
                }
            }
            return Tensor(out, shape: [fanIn, fanOut])
        }
    }
}

/// A `rows × columns` matrix (rows ≥ columns) with orthonormal columns: the Q
/// of a Gaussian matrix's QR decomposition, signs fixed so R's diagonal is
/// positive (which makes Q Haar-distributed, Mezzadri 2007). Computed by
/// modified Gram–Schmidt applied twice, in Double; Gram–Schmidt's R has the
/// column norms on its diagonal, so that sign condition holds by construction.
func orthonormalColumns(rows: Int, columns: Int, using rng: inout RandomGenerator) -> [Double] {
    require(rows >= columns, "orthonormalColumns needs rows ≥ columns, got \(rows) × \(columns)")
    var a = (0..<(rows * columns)).map { _ in rng.nextNormal() }
    for c in 0..<columns {
        for _ in 0..<2 {
            for p in 0..<c {
                var dot = 0.0
                for r in 0..<rows { dot += a[r * columns + p] * a[r * columns + c] }
                for r in 0..<rows { a[r * columns + c] -= dot * a[r * columns + p] }
            }
            var norm = 0.0
            for r in 0..<rows { norm += a[r * columns + c] * a[r * columns + c] }
            norm = norm.squareRoot()
            require(norm > 1e-12, "orthogonal init: degenerate Gaussian draw")
            for r in 0..<rows { a[r * columns + c] /= norm }
        }
    }
    return a
}
