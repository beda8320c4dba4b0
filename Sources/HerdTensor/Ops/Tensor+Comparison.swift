/// Comparisons produce masks (1 where true, 0 where false) that carry no
/// gradient; `where`, `minimum` and `maximum` route gradients by them.

infix operator .> : ComparisonPrecedence
infix operator .< : ComparisonPrecedence
infix operator .>= : ComparisonPrecedence
infix operator .<= : ComparisonPrecedence
infix operator .== : ComparisonPrecedence

extension Tensor {
    public static func .> (a: Tensor, b: Tensor) -> Tensor { broadcastKernel(".>", a, b) { $0 > $1 ? 1 : 0 } }
    public static func .< (a: Tensor, b: Tensor) -> Tensor { broadcastKernel(".<", a, b) { $0 < $1 ? 1 : 0 } }
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { broadcastKernel(".>=", a, b) { $0 >= $1 ? 1 : 0 } }
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { broadcastKernel(".<=", a, b) { $0 <= $1 ? 1 : 0 } }
    public static func .== (a: Tensor, b: Tensor) -> Tensor { broadcastKernel(".==", a, b) { $0 == $1 ? 1 : 0 } }
    public static func .> (a: Tensor, s: Float) -> Tensor { a.mapped { $0 > s ? 1 : 0 } }
    public static func .< (a: Tensor, s: Float) -> Tensor { a.mapped { $0 < s ? 1 : 0 } }
    public static func .>= (a: Tensor, s: Float) -> Tensor { a.mapped { $0 >= s ? 1 : 0 } }
    public static func .<= (a: Tensor, s: Float) -> Tensor { a.mapped { $0 <= s ? 1 : 0 } }
    public static func .== (a: Tensor, s: Float) -> Tensor { a.mapped { $0 == s ? 1 : 0 } }

    /// Picks `a` where `mask` is non-zero, else `b`; all three broadcast to
    /// one shape. Gradients go to the side that was picked.
    public static func `where`(_ mask: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard let ab = broadcastShape(a.shape, b.shape), let shape = broadcastShape(ab, mask.shape) else {
            requirementFailure("where: shapes \(mask.shape), \(a.shape), \(b.shape) do not broadcast")
        }
        let m = mask.stopGradient().broadcasted(to: shape)
        let x = withoutGradients { a.broadcasted(to: shape) }
        let y = withoutGradients { b.broadcasted(to: shape) }
        let out = m.zipped(x, y, flops: 1) { m, x, y in m != 0 ? x : y }
        if let tape = TapeContext.current {
            tape.record([a, b], out) { g in
                [g.zipped(m) { g, m in m != 0 ? g : 0 }.summed(toShape: a.shape),
                 g.zipped(m) { g, m in m != 0 ? 0 : g }.summed(toShape: b.shape)]
            }
        }
        return out
    }

    /// Elementwise minimum; on ties the gradient goes to `a`.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { `where`(a .<= b, a, b) }
    /// Elementwise maximum; on ties the gradient goes to `a`.
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { `where`(a .>= b, a, b) }
}
