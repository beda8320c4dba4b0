/// NumPy broadcasting: shapes are aligned at their last axis; two sizes are
/// compatible when equal or when one is 1.
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
    let rank = max(a.count, b.count)
    var out = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        guard x == y || x == 1 || y == 1 else { return nil }
        out[i] = max(x, y)
    }
    return out
}

/// Element strides of a contiguous tensor of `shape` read as `outShape`
/// (0 on broadcast axes).
func broadcastStrides(_ shape: [Int], to outShape: [Int]) -> [Int] {
    let rank = outShape.count
    var strides = [Int](repeating: 0, count: rank)
    var step = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        let axis = i + rank - shape.count
        strides[axis] = shape[i] == 1 && outShape[axis] != 1 ? 0 : step
        step *= shape[i]
    }
    return strides
}

/// Visits `outShape` in row-major order, one innermost row at a time:
/// `body(outOffset, aOffset, bOffset, rowLength, aStride, bStride)`.
@inline(__always)
func forEachBroadcastRow(
    _ outShape: [Int], _ aStrides: [Int], _ bStrides: [Int],
    _ body: (Int, Int, Int, Int, Int, Int) -> Void
) {
    let rank = outShape.count
    guard rank > 0 else { body(0, 0, 0, 1, 0, 0); return }
    let rowLength = outShape[rank - 1]
    let rows = outShape.reduce(1, *) / max(rowLength, 1)
    guard rowLength > 0, rows > 0 else { return }
    var index = [Int](repeating: 0, count: rank)
    var aOffset = 0, bOffset = 0
    for row in 0..<rows {
        body(row * rowLength, aOffset, bOffset, rowLength, aStrides[rank - 1], bStrides[rank - 1])
        // Advance the odometer over the outer axes.
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            aOffset += aStrides[axis]
            bOffset += bStrides[axis]
            if index[axis] < outShape[axis] { break }
            aOffset -= aStrides[axis] * index[axis]
            bOffset -= bStrides[axis] * index[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}

extension Tensor {
    /// Sums a broadcast gradient back to `shape` (the reverse of broadcasting).
    func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let out = Tensor(uninitializedShape: target, device: device)
        out.base.initialize(repeating: 0, count: out.count)
        let targetStrides = broadcastStrides(target, to: shape)
        let zero = [Int](repeating: 0, count: shape.count)
        let src = base, dst = out.base
        forEachBroadcastRow(shape, targetStrides, zero) { o, t, _, n, ts, _ in
            if ts == 0 {
                var s: Float = 0
                for i in 0..<n { s += src[o + i] }
                dst[t] += s
            } else {
                for i in 0..<n { dst[t + i * ts] += src[o + i] }
            }
        }
        device.charge(.vector(elements: count, bytes: 4 * (count + out.count)))
        return out
    }

    /// This tensor repeated along broadcast axes to `target`.
    public func broadcasted(to target: [Int]) -> Tensor {
        if shape == target { return self }
        require(broadcastShape(shape, target) == target, "cannot broadcast \(shape) to \(target)")
        let out = Tensor(uninitializedShape: target, device: device)
        let strides = broadcastStrides(shape, to: target)
        let src = base, dst = out.base
        forEachBroadcastRow(target, strides, strides) { o, a, _, n, s, _ in
            for i in 0..<n { dst[o + i] = src[a + i * s] }
        }
        device.charge(.vector(elements: out.count, flopsPerElement: 0, bytes: 4 * (count + out.count)))
        if let tape = TapeContext.current {
            let sourceShape = shape
            tape.record([self], out) { g in [g.summed(toShape: sourceShape)] }
        }
        return out
    }
}
