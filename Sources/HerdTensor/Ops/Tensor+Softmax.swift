import Foundation

/// Softmax and log-softmax along an axis (the last by default), computed
/// around the maximum for stability, each with one fused backward kernel.
extension Tensor {
    /// `exp(xᵢ − logΣexp(x))`; backward: `y ⊙ (g − Σ g ⊙ y)`.
    public func softmax(axis: Int = -1) -> Tensor {
        let out = softmaxKernel(axis: axis, log: false)
        if let tape = TapeContext.current {
            let view = axisView(axis)
            tape.record([self], out) { g in
                [Tensor.softmaxBackward(g, out, view: view) { g, y, dot in y * (g - dot) } dot: { g, y in g * y }]
            }
        }
        return out
    }

    /// `xᵢ − logΣexp(x)`; backward: `g − softmax(x) · Σ g`.
    public func logSoftmax(axis: Int = -1) -> Tensor {
        let out = softmaxKernel(axis: axis, log: true)
        if let tape = TapeContext.current {
            let view = axisView(axis)
            tape.record([self], out) { g in
                [Tensor.softmaxBackward(g, out, view: view) { g, y, sum in g - Foundation.exp(y) * sum } dot: { g, _ in g }]
            }
        }
        return out
    }

    private func softmaxKernel(axis: Int, log: Bool) -> Tensor {
        let (outer, length, inner, _) = axisView(axis)
        let out = Tensor(uninitializedShape: shape, device: device)
        let src = base, dst = out.base
        for o in 0..<outer {
            for i in 0..<inner {
                let start = o * length * inner + i
                var m = -Float.infinity
                for l in 0..<length { m = Swift.max(m, src[start + l * inner]) }
                var s: Float = 0
                for l in 0..<length {
                    let e = Foundation.exp(src[start + l * inner] - m)
                    dst[start + l * inner] = e
                    s += e
                }
                if log {
                    let logSum = m + Foundation.log(s)
                    for l in 0..<length { dst[start + l * inner] = src[start + l * inner] - logSum }
                } else {
                    let inverse = 1 / s
                    for l in 0..<length { dst[start + l * inner] *= inverse }
                }
            }
        }
        device.charge(.vector(elements: count, flopsPerElement: 15, bytes: 8 * count))
        return out
    }

    /// Shared backward: `result = combine(g, y, Σ_axis dot(g, y))`.
    @inline(__always)
    private static func softmaxBackward(
        _ g: Tensor, _ y: Tensor, view: (outer: Int, length: Int, inner: Int, axis: Int),
        _ combine: (Float, Float, Float) -> Float, dot: (Float, Float) -> Float
    ) -> Tensor {
        let out = Tensor(uninitializedShape: y.shape, device: y.device)
        let pg = g.base, py = y.base, dst = out.base
        let (outer, length, inner, _) = view
        for o in 0..<outer {
            for i in 0..<inner {
                let start = o * length * inner + i
                var s: Float = 0
                for l in 0..<length { s += dot(pg[start + l * inner], py[start + l * inner]) }
                for l in 0..<length {
                    let k = start + l * inner
                    dst[k] = combine(pg[k], py[k], s)
                }
            }
        }
        y.device.charge(.vector(elements: y.count, flopsPerElement: 4, bytes: 12 * y.count))
        return out
    }
}
