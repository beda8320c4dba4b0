/// Reduced-precision numerics used by matrix products on a simulated device.

/// `x` rounded to the nearest bfloat16 (8-bit exponent, 7-bit mantissa), ties
/// to even, returned as a Float. Values beyond bf16's largest finite number
/// (≈ 3.3895e38) round to ±∞; NaN stays NaN.
@inline(__always)
public func roundToBFloat16(_ x: Float) -> Float {
    let bits = x.bitPattern
    if x.isNaN { return Float(bitPattern: (bits | 0x0040_0000) & 0xFFFF_0000) }
    let lsb = (bits >> 16) & 1
    let rounded = bits &+ 0x7FFF &+ lsb
    return Float(bitPattern: rounded & 0xFFFF_0000)
}

/// Symmetric per-tensor int8 quantisation: `q = round(x / scale)` clamped to
/// [−127, 127] with `scale = max|x| / 127` (a zero tensor gets scale 1).
/// Dequantising `q · scale` is off by at most `scale / 2` per element.
public struct Int8Quantized {
    /// Quantised values, held as Floats that are whole numbers in [−127, 127].
    public var values: [Float]
    public var scale: Float

    public init(_ x: UnsafeBufferPointer<Float>) {
        var maxAbs: Float = 0
        for v in x { maxAbs = Swift.max(maxAbs, Swift.abs(v)) }
        let scale = maxAbs > 0 ? maxAbs / 127 : 1
        let inverse = 1 / scale
        values = x.map { Swift.min(Swift.max(($0 * inverse).rounded(.toNearestOrEven), -127), 127) }
        self.scale = scale
    }

    public init(_ x: [Float]) {
        self = x.withUnsafeBufferPointer { Int8Quantized($0) }
    }

    /// The values the quantised tensor stands for.
    public var dequantized: [Float] { values.map { $0 * scale } }
}
