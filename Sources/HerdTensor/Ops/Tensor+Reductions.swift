import Foundation

/// Reductions over one axis or over everything. An axis may be negative
/// (counted from the end). `keepDims` keeps the reduced axis with size 1.
extension Tensor {
    /// `(outer, length, inner)`: the tensor viewed as `[outer, length, inner]`
    /// around `axis`.
    func axisView(_ axis: Int) -> (outer: Int, length: Int, inner: Int, axis: Int) {
        let a = axis < 0 ? axis + rank : axis
        require(a >= 0 && a < rank, "axis \(axis) out of range for shape \(shape)")
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        return (outer, shape[a], inner, a)
    }

    func reducedShape(_ axis: Int, keepDims: Bool) -> [Int] {
        var s = shape
        if keepDims { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }

    /// Reduces along `axis` with `combine`, starting from `initial`.
    @inline(__always)
    func reduce(_ axis: Int, keepDims: Bool, initial: Float, _ combine: (Float, Float) -> Float) -> Tensor {
        let (outer, length, inner, a) = axisView(axis)
        let out = Tensor(uninitializedShape: reducedShape(a, keepDims: keepDims), device: device)
        let src = base, dst = out.base
        for o in 0..<outer {
            let row = dst + o * inner
            row.initialize(repeating: initial, count: inner)
            for l in 0..<length {
                let s = src + (o * length + l) * inner
                for i in 0..<inner { row[i] = combine(row[i], s[i]) }
            }
        }
        device.charge(.vector(elements: count, bytes: 4 * (count + out.count)))
        return out
    }

    /// Sum along `axis`.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        let out = reduce(axis, keepDims: keepDims, initial: 0, +)
        if let tape = TapeContext.current {
            let keptShape = reducedShape(axisView(axis).axis, keepDims: true)
            let inputShape = shape
            tape.record([self], out) { g in [g.reshaped(keptShape).broadcasted(to: inputShape)] }
        }
        return out
    }

    /// Sum of every element, as a rank-0 tensor.
    public func sum() -> Tensor {
        let out = Tensor(uninitializedShape: [], device: device)
        var s: Float = 0
        let src = base
        for i in 0..<count { s += src[i] }
        out.base[0] = s
        device.charge(.vector(elements: count, bytes: 4 * count))
        if let tape = TapeContext.current {
            let inputShape = shape
            tape.record([self], out) { g in [g.reshaped([]).broadcasted(to: inputShape)] }
        }
        return out
    }

    /// Mean along `axis`.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        sum(axis: axis, keepDims: keepDims) * (1 / Float(axisView(axis).length))
    }

    /// Mean of every element.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// Maximum along `axis`; the gradient goes to the first maximal element.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let out = reduce(axis, keepDims: keepDims, initial: -.infinity) { Swift.max($0, $1) }
        if let tape = TapeContext.current {
            let x = self
            let (outer, length, inner, _) = axisView(axis)
            tape.record([x], out) { g in
                let grad = x.filled(with: 0)
                for o in 0..<outer {
                    for i in 0..<inner {
                        var best = 0
                        for l in 1..<Swift.max(length, 1) where x.base[(o * length + l) * inner + i] > x.base[(o * length + best) * inner + i] {
                            best = l
                        }
                        grad.base[(o * length + best) * inner + i] = g.base[o * inner + i]
                    }
                }
                return [grad]
            }
        }
        return out
    }

    /// Maximum of every element.
    public func max() -> Tensor { reshaped([count]).max(axis: 0) }

    /// `log Σ exp` along `axis`, computed around the maximum so it neither
    /// overflows nor underflows; its gradient is the softmax.
    public func logSumExp(axis: Int, keepDims: Bool = false) -> Tensor {
        let (outer, length, inner, a) = axisView(axis)
        let out = Tensor(uninitializedShape: reducedShape(a, keepDims: keepDims), device: device)
        let src = base, dst = out.base
        for o in 0..<outer {
            for i in 0..<inner {
                var m = -Float.infinity
                for l in 0..<length { m = Swift.max(m, src[(o * length + l) * inner + i]) }
                var s: Float = 0
                if m.isFinite { for l in 0..<length { s += Foundation.exp(src[(o * length + l) * inner + i] - m) } }
                dst[o * inner + i] = m.isFinite ? m + Foundation.log(s) : m
            }
        }
        device.charge(.vector(elements: count, flopsPerElement: 12, bytes: 4 * (count + out.count)))
        if let tape = TapeContext.current {
            let x = self
            let keptShape = reducedShape(a, keepDims: true)
            tape.record([x], out) { g in
                let lse = out.reshaped(keptShape).broadcasted(to: x.shape)
                let gb = g.reshaped(keptShape).broadcasted(to: x.shape)
                return [gb.zipped(x, lse, flops: 12) { g, x, l in g * Foundation.exp(x - l) }]
            }
        }
        return out
    }

    /// `log Σ exp` of every element.
    public func logSumExp() -> Tensor { reshaped([count]).logSumExp(axis: 0) }
}
