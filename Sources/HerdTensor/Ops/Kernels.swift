/// Elementwise kernel drivers. They allocate the output on the operands'
/// device, run a loop the optimiser can vectorise, and charge the device;
/// they record nothing on the tape (the public ops do).

extension Tensor {
    /// `f` applied to every element.
    @inline(__always)
    func mapped(flops: Double = 1, _ f: (Float) -> Float) -> Tensor {
        let out = Tensor(uninitializedShape: shape, device: device)
        let src = base, dst = out.base
        for i in 0..<count { dst[i] = f(src[i]) }
        device.charge(.vector(elements: count, flopsPerElement: flops, bytes: 8 * count))
        return out
    }

    /// `f(self[i], other[i])` for two tensors of one shape.
    @inline(__always)
    func zipped(_ other: Tensor, flops: Double = 1, _ f: (Float, Float) -> Float) -> Tensor {
        require(shape == other.shape, "internal: zipped shapes \(shape) and \(other.shape)")
        _ = commonDevice("elementwise op", self, other)
        let out = Tensor(uninitializedShape: shape, device: device)
        let a = base, b = other.base, dst = out.base
        for i in 0..<count { dst[i] = f(a[i], b[i]) }
        device.charge(.vector(elements: count, flopsPerElement: flops, bytes: 12 * count))
        return out
    }

    /// `f(self[i], y[i], z[i])` for three tensors of one shape.
    @inline(__always)
    func zipped(_ y: Tensor, _ z: Tensor, flops: Double = 2, _ f: (Float, Float, Float) -> Float) -> Tensor {
        require(shape == y.shape && shape == z.shape, "internal: zipped shapes \(shape), \(y.shape), \(z.shape)")
        _ = commonDevice("elementwise op", self, y)
        _ = commonDevice("elementwise op", self, z)
        let out = Tensor(uninitializedShape: shape, device: device)
        let a = base, b = y.base, c = z.base, dst = out.base
        for i in 0..<count { dst[i] = f(a[i], b[i], c[i]) }
        device.charge(.vector(elements: count, flopsPerElement: flops, bytes: 16 * count))
        return out
    }

    /// `f(a, b)` with NumPy broadcasting.
    @inline(__always)
    static func broadcastKernel(
        _ op: StaticString, _ a: Tensor, _ b: Tensor, flops: Double = 1, _ f: (Float, Float) -> Float
    ) -> Tensor {
        let device = commonDevice(op, a, b)
        if a.shape == b.shape { return a.zipped(b, flops: flops, f) }
        guard let shape = broadcastShape(a.shape, b.shape) else {
            requirementFailure("\(op): shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let out = Tensor(uninitializedShape: shape, device: device)
        let pa = a.base, pb = b.base, dst = out.base
        if b.count == 1 {
            let y = pb[0]
            for i in 0..<out.count { dst[i] = f(pa[i], y) }  // out.count == a.count
        } else if a.count == 1 {
            let x = pa[0]
            for i in 0..<out.count { dst[i] = f(x, pb[i]) }  // out.count == b.count
        } else {
            let sa = broadcastStrides(a.shape, to: shape), sb = broadcastStrides(b.shape, to: shape)
            forEachBroadcastRow(shape, sa, sb) { o, ao, bo, n, ast, bst in
                if ast == 1, bst == 1 {
                    for i in 0..<n { dst[o + i] = f(pa[ao + i], pb[bo + i]) }
                } else if ast == 1 {
                    let y = pb[bo]
                    for i in 0..<n { dst[o + i] = f(pa[ao + i], y) }
                } else if bst == 1 {
                    let x = pa[ao]
                    for i in 0..<n { dst[o + i] = f(x, pb[bo + i]) }
                } else {
                    for i in 0..<n { dst[o + i] = f(pa[ao + i * ast], pb[bo + i * bst]) }
                }
            }
        }
        device.charge(.vector(elements: out.count, flopsPerElement: flops, bytes: 4 * (a.count + b.count + out.count)))
        return out
    }

    /// `self + other` with broadcasting and no recording (gradient accumulation).
    func addingWithoutTape(_ other: Tensor) -> Tensor {
        Tensor.broadcastKernel("add", self, other) { $0 + $1 }
    }
}
