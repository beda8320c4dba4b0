import Foundation

/// Elementwise math with gradients. Each backward is one fused kernel written
/// from the derivative noted beside it.
extension Tensor {
    /// eˣ; d/dx = y.
    public func exp() -> Tensor { unary(flops: 10, { Foundation.exp($0) }) { g, _, y in g.zipped(y) { $0 * $1 } } }

    /// ln x; d/dx = 1/x.
    public func log() -> Tensor { unary(flops: 10, { Foundation.log($0) }) { g, x, _ in g.zipped(x) { $0 / $1 } } }

    /// ln(1 + x), accurate near 0; d/dx = 1/(1 + x).
    public func log1p() -> Tensor {
        unary(flops: 10, { Foundation.log1p($0) }) { g, x, _ in g.zipped(x) { $0 / (1 + $1) } }
    }

    /// √x; d/dx = 1/(2y).
    public func sqrt() -> Tensor {
        unary(flops: 4, { $0.squareRoot() }) { g, _, y in g.zipped(y) { $0 / (2 * $1) } }
    }

    /// x²; d/dx = 2x.
    public func square() -> Tensor { unary({ $0 * $0 }) { g, x, _ in g.zipped(x) { 2 * $0 * $1 } } }

    /// |x|; d/dx = sign(x), 0 at 0.
    public func abs() -> Tensor {
        unary({ Swift.abs($0) }) { g, x, _ in g.zipped(x) { g, x in x > 0 ? g : (x < 0 ? -g : 0) } }
    }

    /// tanh x (a rational approximation within 4e-7 of the true value);
    /// d/dx = 1 − y².
    public func tanh() -> Tensor {
        unary(flops: 20, fastTanh) { g, _, y in g.zipped(y) { g, y in g * (1 - y * y) } }
    }

    /// max(x, 0); d/dx = 1 for x > 0, else 0.
    public func relu() -> Tensor {
        unary({ Swift.max($0, 0) }) { g, x, _ in g.zipped(x) { g, x in x > 0 ? g : 0 } }
    }

    /// 1/(1 + e⁻ˣ), without overflow for either sign; d/dx = y(1 − y).
    public func sigmoid() -> Tensor {
        unary(flops: 12, stableSigmoid) { g, _, y in g.zipped(y) { g, y in g * y * (1 - y) } }
    }

    /// ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|), without overflow;
    /// d/dx = sigmoid(x).
    public func softplus() -> Tensor {
        unary(flops: 20, { Swift.max($0, 0) + Foundation.log1p(Foundation.exp(-Swift.abs($0))) }) { g, x, _ in
            g.zipped(x) { g, x in g * stableSigmoid(x) }
        }
    }

    /// x clipped to `[low, high]`; d/dx = 1 inside, 0 outside (as in
    /// TensorFlow: the gradient passes at the bounds themselves).
    public func clamped(_ low: Float, _ high: Float) -> Tensor {
        require(low <= high, "clamped: low \(low) > high \(high)")
        return unary({ Swift.min(Swift.max($0, low), high) }) { g, x, _ in
            g.zipped(x) { g, x in x >= low && x <= high ? g : 0 }
        }
    }
}

/// 1/(1 + e⁻ˣ) computed from e^−|x| so neither branch overflows.
@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
    let e = Foundation.exp(-Swift.abs(x))
    return x >= 0 ? 1 / (1 + e) : e / (1 + e)
}

/// tanh as a [13/6] odd rational function on x clamped to ±7.9053 (beyond it
/// tanh rounds to ±1 in Float). The coefficients are those of Eigen's
/// `ptanh_float` (Eigen 3.4, `GenericPacketMathFunctions.h`); measured error
/// against Double `tanh` ≤ 4e-7 over [−10, 10] (see `FastMathTests`). It
/// vectorises, where `tanhf` from libm is a scalar call costing ~10 ns.
@inline(__always)
public func fastTanh(_ input: Float) -> Float {
    let x = Swift.min(Swift.max(input, -7.90531110763549805), 7.90531110763549805)
    let x2 = x * x
    var p: Float = -2.76076847742355e-16
    p = p * x2 + 2.00018790482477e-13
    p = p * x2 + -8.60467152213735e-11
    p = p * x2 + 5.12229709037114e-08
    p = p * x2 + 1.48572235717979e-05
    p = p * x2 + 6.37261928875436e-04
    p = p * x2 + 4.89352455891786e-03
    p = p * x
    var q: Float = 1.19825839466702e-06
    q = q * x2 + 1.18534705686654e-04
    q = q * x2 + 2.26843463243900e-03
    q = q * x2 + 4.89352518554385e-03
    return p / q
}
