/// Elementwise arithmetic with NumPy broadcasting, and the same with a
/// `Float` operand. Gradients of broadcast operands are summed back to their
/// shapes.

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastKernel("+", a, b) { $0 + $1 }
        if let tape = TapeContext.current {
            let (sa, sb) = (a.shape, b.shape)
            tape.record([a, b], out) { g in [g.summed(toShape: sa), g.summed(toShape: sb)] }
        }
        return out
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastKernel("-", a, b) { $0 - $1 }
        if let tape = TapeContext.current {
            let (sa, sb) = (a.shape, b.shape)
            tape.record([a, b], out) { g in [g.summed(toShape: sa), g.mapped { -$0 }.summed(toShape: sb)] }
        }
        return out
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastKernel("*", a, b) { $0 * $1 }
        if let tape = TapeContext.current {
            tape.record([a, b], out) { g in
                [broadcastKernel("*", g, b) { $0 * $1 }.summed(toShape: a.shape),
                 broadcastKernel("*", g, a) { $0 * $1 }.summed(toShape: b.shape)]
            }
        }
        return out
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let out = broadcastKernel("/", a, b) { $0 / $1 }
        if let tape = TapeContext.current {
            tape.record([a, b], out) { g in
                // d(a/b)/da = 1/b;  d(a/b)/db = −a/b² = −out/b.
                let ga = broadcastKernel("/", g, b) { $0 / $1 }
                let gb = broadcastKernel("*", ga, out) { -$0 * $1 }
                return [ga.summed(toShape: a.shape), gb.summed(toShape: b.shape)]
            }
        }
        return out
    }

    public static prefix func - (x: Tensor) -> Tensor { x.unary({ -$0 }) { g, _, _ in g.mapped { -$0 } } }

    // MARK: With a Float

    public static func + (a: Tensor, s: Float) -> Tensor { a.unary({ $0 + s }) { g, _, _ in g } }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.unary({ s - $0 }) { g, _, _ in g.mapped { -$0 } } }
    public static func * (a: Tensor, s: Float) -> Tensor { a.unary({ $0 * s }) { g, _, _ in g.mapped { $0 * s } } }
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }
    public static func / (s: Float, a: Tensor) -> Tensor {
        // d(s/x)/dx = −s/x² = −y/x.
        a.unary({ s / $0 }) { g, x, y in g.zipped(x, y) { g, x, y in -g * y / x } }
    }

    /// Elementwise `selfᵉ` for a constant exponent.
    public func pow(_ exponent: Float) -> Tensor {
        unary({ Foundation.pow($0, exponent) }) { g, x, _ in
            g.zipped(x) { g, x in g * exponent * Foundation.pow(x, exponent - 1) }
        }
    }

    /// Elementwise `selfᵉ` with a tensor exponent (broadcasting). The
    /// exponent's gradient `y · log(x)` needs `x > 0`.
    public func pow(_ exponent: Tensor) -> Tensor {
        let out = Tensor.broadcastKernel("pow", self, exponent, flops: 10) { Foundation.pow($0, $1) }
        if let tape = TapeContext.current {
            let base = self
            tape.record([base, exponent], out) { g in
                let dx = Tensor.broadcastKernel("pow", base, exponent) { x, e in e * Foundation.pow(x, e - 1) }
                let dxg = Tensor.broadcastKernel("*", dx, g) { $0 * $1 }
                let dyg = Tensor.broadcastKernel("*", out, base) { y, x in y * Foundation.log(x) }
                return [dxg.summed(toShape: base.shape),
                        Tensor.broadcastKernel("*", dyg, g) { $0 * $1 }.summed(toShape: exponent.shape)]
            }
        }
        return out
    }

    /// Elementwise map with a gradient given as `backward(g, x, y)`, where `x`
    /// is the input and `y` the output.
    @inline(__always)
    func unary(
        flops: Double = 1, _ f: (Float) -> Float, backward: @escaping (Tensor, Tensor, Tensor) -> Tensor
    ) -> Tensor {
        let out = mapped(flops: flops, f)
        if let tape = TapeContext.current {
            let x = self
            tape.record([x], out) { g in [backward(g, x, out)] }
        }
        return out
    }
}

import Foundation
