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
    /// Columns of the im2col matrix: every output pixel of every image.
    var columns: Int { n * pixels }

    /// The output columns `ox` whose input column `ox·stride − padding + kx`
    /// lies inside the image.
    @inline(__always)
    func validColumns(kx: Int) -> Range<Int> {
        let shift = padding - kx
        let first = shift <= 0 ? 0 : min(outW, (shift + stride - 1) / stride)
        let reach = w - 1 + shift
        let end = reach < 0 ? 0 : min(outW, reach / stride + 1)
        return first..<max(first, end)
    }

    /// im2col: `cols[row, image·pixels + oy·outW + ox] = x[image, ch, iy, ix]`
    /// with `row = (ch·kh + ky)·kw + kx`, `iy = oy·stride − padding + ky`,
    /// `ix = ox·stride − padding + kx` (0 in the padding).
    func im2col(_ x: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>) {
        for ch in 0..<c {
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let row = cols + ((ch * kh + ky) * kw + kx) * columns
                    let valid = validColumns(kx: kx)
                    for image in 0..<n {
                        let plane = x + (image * c + ch) * h * w
                        let block = row + image * pixels
                        for oy in 0..<outH {
                            let dst = block + oy * outW
                            let iy = oy * stride - padding + ky
                            guard iy >= 0 && iy < h else {
                                dst.initialize(repeating: 0, count: outW)
                                continue
                            }
                            if valid.lowerBound > 0 { dst.initialize(repeating: 0, count: valid.lowerBound) }
                            if valid.upperBound < outW { (dst + valid.upperBound).initialize(repeating: 0, count: outW - valid.upperBound) }
                            let src = plane + iy * w - padding + kx
                            if stride == 1 {
                                for ox in valid { dst[ox] = src[ox] }
                            } else {
                                for ox in valid { dst[ox] = src[ox * stride] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// col2im, im2col's adjoint: adds every cell of `cols` into the input
    /// element it was copied from (`dx` must start at zero).
    func col2im(_ cols: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        for ch in 0..<c {
            for ky in 0..<kh {
                for kx in 0..<kw {
                    let row = cols + ((ch * kh + ky) * kw + kx) * columns
                    let valid = validColumns(kx: kx)
                    for image in 0..<n {
                        let plane = dx + (image * c + ch) * h * w
                        let block = row + image * pixels
                        for oy in 0..<outH {
                            let iy = oy * stride - padding + ky
                            guard iy >= 0 && iy < h else { continue }
                            let src = block + oy * outW, dst = plane + iy * w - padding + kx
                            for ox in valid { dst[ox * stride] += src[ox] }
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// Convolution of `x: [N, C, H, W]` with `weight: [O, C, kh, kw]` plus
    /// `bias: [O]`. The whole batch is one product: im2col lays the patches
    /// of every image side by side, `cols: [C·kh·kw, N·H'·W']`, and
    /// `Y' = W·cols: [O, N·H'·W']` is then reordered to `[N, O, H', W']`.
    /// Gradients, with `dY'` the output gradient in that order:
    /// `dW = dY'·colsᵀ`, `db = Σ dY'`, and, only when `x` takes part in the
    /// tape (not for a network's input), `dX = col2im(Wᵀ·dY')`.
    public static func conv2d(_ x: Tensor, _ weight: Tensor, _ bias: Tensor, stride: Int = 1, padding: Int = 0) -> Tensor {
        let device = commonDevice("conv2d", x, weight)
        require(x.rank == 4 && weight.rank == 4 && x.shape[1] == weight.shape[1],
                     "conv2d: input \(x.shape) does not fit kernel \(weight.shape)")
        require(bias.shape == [weight.shape[0]], "conv2d: bias \(bias.shape) for \(weight.shape[0]) channels")
        require(stride > 0 && padding >= 0, "conv2d: stride \(stride), padding \(padding)")
        let (h, w, kh, kw) = (x.shape[2], x.shape[3], weight.shape[2], weight.shape[3])
        require(h + 2 * padding >= kh && w + 2 * padding >= kw, "conv2d: kernel \(kh)×\(kw) larger than padded input \(h)×\(w)")
        let geo = ConvGeometry(n: x.shape[0], c: x.shape[1], h: h, w: w, o: weight.shape[0], kh: kh, kw: kw,
                               stride: stride, padding: padding,
                               outH: (h + 2 * padding - kh) / stride + 1, outW: (w + 2 * padding - kw) / stride + 1)
        let cols = Tensor(uninitializedShape: [geo.patch, geo.columns], device: device)
        geo.im2col(x.base, into: cols.base)
        let kernel = weight.stopGradient().reshaped([geo.o, geo.patch])
        let product = Tensor(uninitializedShape: [geo.o, geo.columns], device: device)
        for channel in 0..<geo.o {
            (product.base + channel * geo.columns).initialize(repeating: bias.base[channel], count: geo.columns)
        }
        gemm(kernel, cols, into: product, m: geo.o, n: geo.columns, k: geo.patch, batch: 1,
             transposeA: false, transposeB: false, beta: 1, precision: device.precision)
        let result = Tensor(uninitializedShape: [geo.n, geo.o, geo.outH, geo.outW], device: device)
        reorder(product.base, into: result.base, outer: geo.o, inner: geo.n, block: geo.pixels)
        if let tape = TapeContext.current {
            let inputGradient = tape.takesPart(x)
            tape.record([x, weight, bias], result) { g in
                conv2dGradients(g, cols: cols, kernel: kernel, geo: geo, inputGradient: inputGradient)
            }
        }
        return result
    }

    /// Copies `[outer, inner, block]` to `[inner, outer, block]`.
    private static func reorder(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, outer: Int, inner: Int, block: Int) {
        for i in 0..<outer {
            for j in 0..<inner {
                (dst + (j * outer + i) * block).update(from: src + (i * inner + j) * block, count: block)
            }
        }
    }

    private static func conv2dGradients(_ g: Tensor, cols: Tensor, kernel: Tensor, geo: ConvGeometry, inputGradient: Bool) -> [Tensor?] {
        let device = g.device
        // dY' [O, N·pixels] from dY [N, O, pixels].
        let dProduct = Tensor(uninitializedShape: [geo.o, geo.columns], device: device)
        reorder(g.base, into: dProduct.base, outer: geo.n, inner: geo.o, block: geo.pixels)
        let dBias = Tensor(uninitializedShape: [geo.o], device: device)
        for channel in 0..<geo.o {
            let row = UnsafeBufferPointer(start: dProduct.base + channel * geo.columns, count: geo.columns)
            dBias.base[channel] = row.reduce(0, +)
        }
        // dW = dY' [O, N·pixels] · colsᵀ [N·pixels, patch].
        let dKernel = Tensor(uninitializedShape: [geo.o, geo.patch], device: device)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(geo.o), Int32(geo.patch), Int32(geo.columns), 1,
                    dProduct.base, Int32(geo.columns), cols.base, Int32(geo.columns), 0, dKernel.base, Int32(geo.patch))
        device.charge(.matmul(m: geo.o, n: geo.patch, k: geo.columns, batch: 1))
        var dx: Tensor?
        if inputGradient {
            // dcols = Wᵀ [patch, O] · dY' [O, N·pixels], then col2im.
            let dCols = Tensor(uninitializedShape: [geo.patch, geo.columns], device: device)
            gemm(kernel, dProduct, into: dCols, m: geo.patch, n: geo.columns, k: geo.o, batch: 1,
                 transposeA: true, transposeB: false, beta: 0, precision: .fp32)
            let input = Tensor(uninitializedShape: [geo.n, geo.c, geo.h, geo.w], device: device)
            input.base.initialize(repeating: 0, count: input.count)
            geo.col2im(dCols.base, into: input.base)
            dx = input
        }
        return [dx, dKernel.reshaped([geo.o, geo.c, geo.kh, geo.kw]), dBias]
    }
}
