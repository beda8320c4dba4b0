import COpenBLAS

/// 2-D convolution (cross-correlation, as in every deep-learning library),
/// `[N, C, H, W] → [N, O, H', W']` with `H' = (H + 2p − k) / s + 1`.
/// Computed by im2col and one batched `sgemm`: each image becomes a
/// `[C·kh·kw, H'·W']` matrix and the kernel a `[O, C·kh·kw]` one.
/// Parameters: `weight` `[O, C, kh, kw]`, `bias` `[O]`.
public final class Conv2D: Layer {
    public private(set) var weight: Tensor
    public private(set) var bias: Tensor
    public let stride: Int
    public let padding: Int

    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                initializer: WeightInitializer = .glorotUniform(), using rng: inout RandomGenerator) {
        require(kernelSize > 0 && stride > 0 && padding >= 0, "Conv2D: bad kernel \(kernelSize), stride \(stride), padding \(padding)")
        let fanIn = inChannels * kernelSize * kernelSize
        // Drawn as [fanIn, O] then laid out as [O, C, k, k].
        let w = initializer.matrix(fanIn: fanIn, fanOut: outChannels, using: &rng).transposed([1, 0])
        weight = w.reshaped([outChannels, inChannels, kernelSize, kernelSize]).stopGradient().asParameter()
        bias = Tensor.zeros([outChannels]).asParameter()
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        Tensor.conv2d(x, weight, bias, stride: stride, padding: padding)
    }

    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try body("weight", &weight)
        try body("bias", &bias)
    }
}

/// Geometry of one convolution.
struct ConvGeometry {
    let n, c, h, w, o, kh, kw, stride, padding, outH, outW: Int
    var patch: Int { c * kh * kw }
    var pixels: Int { outH * outW }

    /// Calls `body(colIndex, inputIndex)` for every in-image cell of one
    /// image's im2col matrix (`colIndex` into `[patch, pixels]`, `inputIndex`
    /// into `[c, h, w]`); padding cells are skipped.
    @inline(__always)
    func forEachCell(_ body: (Int, Int) -> Void) {
        for ch in 0..<c {
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let row = (ch * kh + ky) * kw + kx
                    for oy in 0..<outH {
                        let iy = oy * stride - padding + ky
                        guard iy >= 0 && iy < h else { continue }
                        for ox in 0..<outW {
                            let ix = ox * stride - padding + kx
                            guard ix >= 0 && ix < w else { continue }
                            body(row * pixels + oy * outW + ox, (ch * h + iy) * w + ix)
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// Convolution of `x: [N, C, H, W]` with `weight: [O, C, kh, kw]` plus
    /// `bias: [O]`. Gradients: `dW = Σₙ dYₙ·colsₙᵀ`, `db = Σ dY`,
    /// `dX = col2im(Wᵀ·dYₙ)`.
    public static func conv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, stride: Int = 1, padding: Int = 0) -> Tensor {
        let device = commonDevice("conv2d", x, weight)
        require(x.rank == 4 && weight.rank == 4 && x.shape[1] == weight.shape[1],
                     "conv2d: input \(x.shape) does not fit kernel \(weight.shape)")
        require(bias.shape == [weight.shape[0]], "conv2d: bias \(bias.shape) for \(weight.shape[0]) channels")
        let (h, w, kh, kw) = (x.shape[2], x.shape[3], weight.shape[2], weight.shape[3])
        require(h + 2 * padding >= kh && w + 2 * padding >= kw, "conv2d: kernel \(kh)×\(kw) larger than padded input \(h)×\(w)")
        let geo = ConvGeometry(n: x.shape[0], c: x.shape[1], h: h, w: w, o: weight.shape[0], kh: kh, kw: kw,
                               stride: stride, padding: padding,
                               outH: (h + 2 * padding - kh) / stride + 1, outW: (w + 2 * padding - kw) / stride + 1)
        // im2col: [N, patch, pixels].
        let cols = Tensor(uninitializedShape: [geo.n, geo.patch, geo.pixels], device: device)
        cols.base.initialize(repeating: 0, count: cols.count)
        for image in 0..<geo.n {
            let src = x.base + image * geo.c * h * w, dst = cols.base + image * geo.patch * geo.pixels
            geo.forEachCell { col, input in dst[col] = src[input] }
        }
        let kernel = weight.stopGradient().reshaped([geo.o, geo.patch])
        let out = Tensor(uninitializedShape: [geo.n, geo.o, geo.pixels], device: device)
        for image in 0..<geo.n {
            for channel in 0..<geo.o {
                (out.base + (image * geo.o + channel) * geo.pixels).initialize(repeating: bias.base[channel], count: geo.pixels)
            }
        }
        gemm(kernel, cols, into: out, m: geo.o, n: geo.pixels, k: geo.patch, batch: geo.n,
             transposeA: false, transposeB: false, beta: 1, precision: device.precision)
        let result = out.reshaped([geo.n, geo.o, geo.outH, geo.outW])
        if let tape = TapeContext.current {
            tape.record([x, weight, bias], result) { g in
                conv2dGradients(g.reshaped([geo.n, geo.o, geo.pixels]), cols: cols, kernel: kernel, geo: geo)
            }
        }
        return result
    }

    private static func conv2dGradients(_ g: Tensor, cols: Tensor, kernel: Tensor, geo: ConvGeometry) -> [Tensor?] {
        let device = g.device
        // dW = Σₙ dYₙ [O, pixels] · colsₙᵀ [pixels, patch], accumulated (β = 1).
        let dKernel = Tensor(uninitializedShape: [geo.o, geo.patch], device: device)
        dKernel.base.initialize(repeating: 0, count: dKernel.count)
        for image in 0..<geo.n {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(geo.o), Int32(geo.patch), Int32(geo.pixels), 1,
                        g.base + image * geo.o * geo.pixels, Int32(geo.pixels),
                        cols.base + image * geo.patch * geo.pixels, Int32(geo.pixels), 1, dKernel.base, Int32(geo.patch))
        }
        device.charge(.matmul(m: geo.o, n: geo.patch, k: geo.pixels, batch: geo.n))
        // dcols = Wᵀ [patch, O] · dYₙ [O, pixels], then col2im.
        let dCols = Tensor(uninitializedShape: [geo.n, geo.patch, geo.pixels], device: device)
        gemm(kernel, g, into: dCols, m: geo.patch, n: geo.pixels, k: geo.o, batch: geo.n,
             transposeA: true, transposeB: false, beta: 0, precision: .fp32)
        let dx = Tensor(uninitializedShape: [geo.n, geo.c, geo.h, geo.w], device: device)
        dx.base.initialize(repeating: 0, count: dx.count)
        for image in 0..<geo.n {
            let src = dCols.base + image * geo.patch * geo.pixels, dst = dx.base + image * geo.c * geo.h * geo.w
            geo.forEachCell { col, input in dst[input] += src[col] }
        }
        let dBias = g.sum(axis: 2).sum(axis: 0)
        return [dx, dKernel.reshaped([geo.o, geo.c, geo.kh, geo.kw]), dBias]
    }
}
