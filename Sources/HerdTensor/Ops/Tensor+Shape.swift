/// Reshaping, transposition, slicing, concatenation, gathering and one-hot.
extension Tensor {
    /// The same elements with another shape (no copy). One dimension may be
    /// `-1`, inferred from the others.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let unknown = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
            require(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            target[unknown] = count / known
        }
        require(target.allSatisfy { $0 >= 0 } && target.reduce(1, *) == count,
                     "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        if target == shape { return self }
        let out = Tensor(shape: target, storage: storage)
        if let tape = TapeContext.current {
            let original = shape
            tape.record([self], out) { g in [g.reshaped(original)] }
        }
        return out
    }

    /// `[N, d1, d2, …]` → `[N, d1·d2·…]`.
    public func flattened() -> Tensor { reshaped([shape.first ?? 1, -1]) }

    /// Axes permuted: output axis `i` is input axis `permutation[i]`.
    public func transposed(_ permutation: [Int]) -> Tensor {
        require(permutation.sorted() == Array(0..<rank), "bad permutation \(permutation) for rank \(rank)")
        let outShape = permutation.map { shape[$0] }
        let out = Tensor(uninitializedShape: outShape, device: device)
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strides = permutation.map { inStrides[$0] }
        let src = base, dst = out.base
        forEachBroadcastRow(outShape, strides, strides) { o, a, _, n, s, _ in
            for i in 0..<n { dst[o + i] = src[a + i * s] }
        }
        device.charge(.vector(elements: count, flopsPerElement: 0, bytes: 8 * count))
        if let tape = TapeContext.current {
            var inverse = [Int](repeating: 0, count: rank)
            for (i, p) in permutation.enumerated() { inverse[p] = i }
            tape.record([self], out) { g in [g.transposed(inverse)] }
        }
        return out
    }

    /// The transpose of a matrix (materialised; `matmul` folds transposes
    /// into the BLAS call instead).
    public var T: Tensor {
        require(rank == 2, "T needs a matrix, got shape \(shape)")
        return transposed([1, 0])
    }

    /// Elements `range` along `axis`.
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let (outer, length, inner, a) = axisView(axis)
        require(range.lowerBound >= 0 && range.upperBound <= length,
                     "slice \(range) out of bounds for axis \(a) of size \(length)")
        var outShape = shape
        outShape[a] = range.count
        let out = Tensor(uninitializedShape: outShape, device: device)
        let chunk = range.count * inner
        for o in 0..<outer {
            (out.base + o * chunk).update(from: base + (o * length + range.lowerBound) * inner, count: chunk)
        }
        device.charge(.vector(elements: out.count, flopsPerElement: 0, bytes: 8 * out.count))
        if let tape = TapeContext.current {
            let inputShape = shape
            tape.record([self], out) { g in
                let grad = Tensor(uninitializedShape: inputShape, device: g.device)
                grad.base.initialize(repeating: 0, count: grad.count)
                for o in 0..<outer {
                    (grad.base + (o * length + range.lowerBound) * inner).update(from: g.base + o * chunk, count: chunk)
                }
                return [grad]
            }
        }
        return out
    }

    /// Tensors joined along an existing axis; other sizes must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        require(!tensors.isEmpty, "concat of no tensors")
        let first = tensors[0]
        let a = axis < 0 ? axis + first.rank : axis
        var outShape = first.shape
        outShape[a] = 0
        for t in tensors {
            _ = commonDevice("concat", first, t)
            require(t.rank == first.rank && t.shape.enumerated().allSatisfy { $0.offset == a || $0.element == first.shape[$0.offset] },
                         "concat: shape \(t.shape) does not match \(first.shape) off axis \(a)")
            outShape[a] += t.shape[a]
        }
        let out = Tensor(uninitializedShape: outShape, device: first.device)
        let outer = first.shape[..<a].reduce(1, *)
        let inner = first.shape[(a + 1)...].reduce(1, *)
        let outChunk = outShape[a] * inner
        var offset = 0
        for t in tensors {
            let chunk = t.shape[a] * inner
            for o in 0..<outer { (out.base + o * outChunk + offset).update(from: t.base + o * chunk, count: chunk) }
            offset += chunk
        }
        first.device.charge(.vector(elements: out.count, flopsPerElement: 0, bytes: 8 * out.count))
        if let tape = TapeContext.current {
            tape.record(tensors, out) { g in
                var start = 0
                return tensors.map { t in
                    defer { start += t.shape[a] }
                    return withoutGradients { g.slice(axis: a, start..<(start + t.shape[a])) }
                }
            }
        }
        return out
    }

    /// Tensors of one shape stacked along a new axis.
    public static func stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor {
        require(!tensors.isEmpty, "stack of no tensors")
        let shape = tensors[0].shape
        let a = axis < 0 ? axis + shape.count + 1 : axis
        var expanded = shape
        expanded.insert(1, at: a)
        return concat(tensors.map { t in
            require(t.shape == shape, "stack: shape \(t.shape) differs from \(shape)")
            return t.reshaped(expanded)
        }, axis: a)
    }

    /// Picks one element per row along the last axis: for `self` of shape
    /// `[..., n]` and `indices` with one entry per row (`count / n`),
    /// returns shape `[...]`. Typical use: log-probabilities of taken actions.
    public func gather(lastAxis indices: [Int]) -> Tensor {
        require(rank >= 1, "gather needs rank ≥ 1")
        let n = shape[rank - 1]
        let rows = count / Swift.max(n, 1)
        require(indices.count == rows, "gather: \(indices.count) indices for \(rows) rows of \(shape)")
        let out = Tensor(uninitializedShape: Array(shape.dropLast()), device: device)
        for (r, index) in indices.enumerated() {
            require(index >= 0 && index < n, "gather: index \(index) out of range 0..<\(n)")
            out.base[r] = base[r * n + index]
        }
        device.charge(.vector(elements: rows, flopsPerElement: 0, bytes: 8 * rows))
        if let tape = TapeContext.current {
            let inputShape = shape
            tape.record([self], out) { g in
                let grad = Tensor(uninitializedShape: inputShape, device: g.device)
                grad.base.initialize(repeating: 0, count: grad.count)
                for (r, index) in indices.enumerated() { grad.base[r * n + index] = g.base[r] }
                return [grad]
            }
        }
        return out
    }

    /// `[indices.count, depth]` with a 1 at each row's index.
    public static func oneHot(_ indices: [Int], depth: Int, on device: Device = .cpu) -> Tensor {
        let out = Tensor(uninitializedShape: [indices.count, depth], device: device)
        out.base.initialize(repeating: 0, count: out.count)
        for (r, index) in indices.enumerated() {
            require(index >= 0 && index < depth, "oneHot: index \(index) out of range 0..<\(depth)")
            out.base[r * depth + index] = 1
        }
        device.charge(.vector(elements: out.count, flopsPerElement: 0, bytes: 4 * out.count))
        return out
    }
}
