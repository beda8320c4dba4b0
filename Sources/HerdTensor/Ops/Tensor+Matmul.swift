import COpenBLAS

/// Matrix products through `cblas_sgemm`, with transposes passed to BLAS as
/// flags (never materialised), and the fused `x·W + b` that linear layers use.
extension Tensor {
    /// `op(a) · op(b)` where `op` transposes when asked.
    ///
    /// - `[m, k] · [k, n] → [m, n]`
    /// - batched: `[B, m, k] · [B, k, n] → [B, m, n]`
    /// - `[..., k] · [k, n] → [..., n]` (leading axes flattened, `transposeA` off)
    ///
    /// On a simulated device the product uses the device's ``Precision``:
    /// bf16 rounds both inputs; int8 quantises both (gradients then use fp32).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let device = commonDevice("matmul", a, b)
        if a.rank > 2, b.rank == 2, !transposeA {
            let flat = a.reshaped([-1, a.shape[a.rank - 1]])
            let out = matmul(flat, b, transposeB: transposeB)
            return out.reshaped(Array(a.shape.dropLast()) + [out.shape[1]])
        }
        require(a.rank == b.rank && (a.rank == 2 || a.rank == 3),
                     "matmul: shapes \(a.shape) and \(b.shape) are not two matrices or two batches of them")
        let batch = a.rank == 3 ? a.shape[0] : 1
        require(a.rank == 2 || b.shape[0] == batch, "matmul: batch sizes \(a.shape[0]) and \(b.shape[0]) differ")
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposeB ? (bc, br) : (br, bc)
        require(k == k2, "matmul: inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        let out = Tensor(uninitializedShape: a.rank == 3 ? [batch, m, n] : [m, n], device: device)
        gemm(a, b, into: out, m: m, n: n, k: k, batch: batch, transposeA: transposeA, transposeB: transposeB,
             beta: 0, precision: device.precision)
        if let tape = TapeContext.current {
            tape.record([a, b], out) { g in
                matmulGradients(a, b, g, transposeA: transposeA, transposeB: transposeB)
            }
        }
        return out
    }

    /// `x · weight + bias` in one kernel: the bias is copied into the output
    /// rows and `sgemm` accumulates onto it (β = 1).
    /// Shapes: `x: [N, in]`, `weight: [in, out]`, `bias: [out]` → `[N, out]`.
    public static func linear(_ x: Tensor, _ weight: Tensor, _ bias: Tensor?) -> Tensor {
        let device = commonDevice("linear", x, weight)
        if x.rank != 2 {
            let flat = x.reshaped([-1, x.shape[x.rank - 1]])
            return linear(flat, weight, bias).reshaped(Array(x.shape.dropLast()) + [weight.shape[1]])
        }
        require(weight.rank == 2 && x.shape[1] == weight.shape[0],
                     "linear: input \(x.shape) does not fit weight \(weight.shape)")
        let (m, k, n) = (x.shape[0], x.shape[1], weight.shape[1])
        let out = Tensor(uninitializedShape: [m, n], device: device)
        if let bias {
            _ = commonDevice("linear", x, bias)
            require(bias.shape == [n], "linear: bias \(bias.shape) for \(n) outputs")
            for r in 0..<m { (out.base + r * n).update(from: bias.base, count: n) }
        }
        gemm(x, weight, into: out, m: m, n: n, k: k, batch: 1, transposeA: false, transposeB: false,
             beta: bias == nil ? 0 : 1, precision: device.precision)
        if let tape = TapeContext.current {
            let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
            tape.record(inputs, out) { g in
                let grads = matmulGradients(x, weight, g, transposeA: false, transposeB: false)
                return bias == nil ? grads : grads + [g.sum(axis: 0)]
            }
        }
        return out
    }

    /// Gradients of `C = op(A)·op(B)`:
    /// - `C = AB`:     dA = dC·Bᵀ,      dB = Aᵀ·dC
    /// - `C = AᵀB`:    dA = B·dCᵀ,      dB = A·dC
    /// - `C = ABᵀ`:    dA = dC·B,       dB = dCᵀ·A
    /// - `C = AᵀBᵀ`:   dA = Bᵀ·dCᵀ,     dB = dCᵀ·Aᵀ
    /// int8 devices differentiate in fp32 (straight-through quantisation).
    static func matmulGradients(_ a: Tensor, _ b: Tensor, _ g: Tensor, transposeA: Bool, transposeB: Bool) -> [Tensor?] {
        switch (transposeA, transposeB) {
        case (false, false): return [matmul(g, b, transposeB: true), matmul(a, g, transposeA: true)]
        case (true, false): return [matmul(b, g, transposeB: true), matmul(a, g)]
        case (false, true): return [matmul(g, b), matmul(g, a, transposeA: true)]
        case (true, true): return [matmul(b, g, transposeA: true, transposeB: true),
                                   matmul(g, a, transposeA: true, transposeB: true)]
        }
    }

    /// Runs `C = op(A)·op(B) + β·C` for each batch entry, at `precision`.
    static func gemm(
        _ a: Tensor, _ b: Tensor, into c: Tensor, m: Int, n: Int, k: Int, batch: Int,
        transposeA: Bool, transposeB: Bool, beta: Float, precision: Precision
    ) {
        var pa = UnsafePointer(a.base), pb = UnsafePointer(b.base)
        var scale: Float = 1
        var inputBytes = 4
        var converted: [[Float]] = []
        switch a.device.isHost ? .fp32 : precision {
        case .fp32:
            break
        case .bf16:
            converted = [a, b].map { t in
                // One tight loop per operand (LLVM vectorises it); the
                // per-element closure of a map cost more than the product.
                [Float](unsafeUninitializedCapacity: t.count) { out, initialized in
                    let source = t.base
                    for i in 0..<t.count { out[i] = roundToBFloat16(source[i]) }
                    initialized = t.count
                }
            }
            inputBytes = 2
        case .int8:
            let qa = Int8Quantized(UnsafeBufferPointer(start: a.base, count: a.count))
            let qb = Int8Quantized(UnsafeBufferPointer(start: b.base, count: b.count))
            converted = [qa.values, qb.values]
            scale = qa.scale * qb.scale
            inputBytes = 1
        }
        let lda = a.shape[a.rank - 1], ldb = b.shape[b.rank - 1]
        let strideA = a.rank == 3 ? a.shape[1] * a.shape[2] : 0
        let strideB = b.rank == 3 ? b.shape[1] * b.shape[2] : 0
        func run() {
            for i in 0..<batch {
                cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(n), Int32(k), scale,
                            pa + i * strideA, Int32(lda), pb + i * strideB, Int32(ldb),
                            beta, c.base + i * m * n, Int32(n))
            }
        }
        if converted.isEmpty {
            run()
        } else {
            converted[0].withUnsafeBufferPointer { ca in
                converted[1].withUnsafeBufferPointer { cb in
                    pa = ca.baseAddress!
                    pb = cb.baseAddress!
                    run()
                }
            }
        }
        if !a.device.isHost {
            var cost = KernelCost.matmul(m: m, n: n, k: k, batch: batch)
            cost.bytes = Double(batch) * Double(inputBytes * (m * k + k * n) + 4 * m * n)
            a.device.charge(cost)
        }
    }
}
