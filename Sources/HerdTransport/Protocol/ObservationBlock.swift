/// The element type of observations on the wire (`ready.obs_dtype`).
public enum ObservationDType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// IEEE 754 binary32, little-endian.
    case f32 = 0
    /// Unsigned bytes 0…255 (images: an 84×84×4 frame stack is 28 KB, not 113).
    case u8 = 1
    /// bfloat16: the upper 16 bits of a binary32, rounded to nearest even;
    /// little-endian.
    case bf16 = 2

    public var bytesPerElement: Int {
        switch self {
        case .f32: return 4
        case .u8: return 1
        case .bf16: return 2
        }
    }

    public var description: String {
        switch self {
        case .f32: return "f32"
        case .u8: return "u8"
        case .bf16: return "bf16"
        }
    }
}

/// Observations as they travel: the little-endian bytes of `count` elements
/// of `dtype`. Encoding and decoding a frame copy the bytes; values become
/// floats only where someone asks for them (``appendFloats(to:)``), once.
public struct ObservationBlock: Equatable, Sendable {
    public let dtype: ObservationDType
    /// The payload, `count · dtype.bytesPerElement` bytes.
    public let bytes: [UInt8]

    public var count: Int { bytes.count / dtype.bytesPerElement }

    /// No element is NaN or infinite (bytes always hold). Checked on the bit
    /// patterns: an all-ones exponent is what makes a float non-finite.
    public var isFinite: Bool {
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case .u8:
                return true
            case .f32:
                for i in 0..<count where UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) & 0x7F80_0000 == 0x7F80_0000 {
                    return false
                }
                return true
            case .bf16:
                for i in 0..<count where UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) & 0x7F80 == 0x7F80 {
                    return false
                }
                return true
            }
        }
    }

    /// An element outside `bounds` (element `i` of the block is element
    /// `i % low.count` of its observation) and its value, or nil.
    /// bf16 values are judged against each bound rounded to bf16 as well
    /// (rounding is monotone, so a value within a bound stays within it);
    /// u8 values as the numbers 0…255. Call on finite blocks.
    public func firstOutside(_ bounds: ObservationBounds) -> (index: Int, value: Float)? {
        let size = bounds.low.count
        guard size > 0, count % size == 0 else { return count == 0 ? nil : (0, .nan) }
        func rounded(_ bound: Float) -> Float {
            dtype == .bf16 && bound.isFinite ? Float(bitPattern: UInt32(Self.bfloat16Bits(bound)) << 16) : bound
        }
        return bytes.withUnsafeBytes { raw -> (Int, Float)? in
            for j in 0..<size {
                let low = rounded(bounds.low[j]), high = rounded(bounds.high[j])
                if low == -.infinity && high == .infinity { continue }
                var i = j
                while i < count {
                    let value: Float
                    switch dtype {
                    case .u8: value = Float(raw[i])
                    case .f32: value = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    case .bf16: value = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                    }
                    if value < low || value > high { return (i, value) }
                    i += size
                }
            }
            return nil
        }
    }

    /// Raw bytes of `dtype` (their count must be a multiple of its size).
    public init(dtype: ObservationDType, bytes: [UInt8]) {
        precondition(bytes.count % dtype.bytesPerElement == 0, "observation bytes do not divide into \(dtype) elements")
        self.dtype = dtype
        self.bytes = bytes
    }

    /// `values` in `dtype`: f32 as they are; u8 rounded and clamped to
    /// 0…255 (environments declaring u8 produce whole numbers in range);
    /// bf16 rounded to nearest even (NaN stays NaN).
    public init(_ values: UnsafeBufferPointer<Float>, as dtype: ObservationDType = .f32) {
        self.dtype = dtype
        let n = values.count
        bytes = [UInt8](unsafeUninitializedCapacity: n * dtype.bytesPerElement) { out, initialized in
            switch dtype {
            case .f32:
                #if _endian(little)
                if n > 0 { UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(values)) }
                #else
                for i in 0..<n { Self.store(values[i].bitPattern, at: 4 * i, in: out) }
                #endif
            case .u8:
                for i in 0..<n {
                    let x = values[i]
                    out[i] = x >= 255 ? 255 : (x > 0 ? UInt8(x.rounded()) : 0)
                }
            case .bf16:
                for i in 0..<n { Self.store16(Self.bfloat16Bits(values[i]), at: 2 * i, in: out) }
            }
            initialized = n * dtype.bytesPerElement
        }
    }

    public init(_ values: [Float], as dtype: ObservationDType = .f32) {
        self = values.withUnsafeBufferPointer { ObservationBlock($0, as: dtype) }
    }

    /// Elements `range` as a block of the same dtype.
    public func slice(_ range: Range<Int>) -> ObservationBlock {
        let size = dtype.bytesPerElement
        return ObservationBlock(dtype: dtype, bytes: Array(bytes[(range.lowerBound * size)..<(range.upperBound * size)]))
    }

    /// Appends the values as floats (u8 as 0…255, bf16 widened exactly).
    public func appendFloats(to array: inout [Float]) {
        let n = count, start = array.count
        array.append(contentsOf: repeatElement(0, count: n))
        array.withUnsafeMutableBufferPointer { all in
            let out = all.baseAddress! + start
            bytes.withUnsafeBytes { raw in
                switch dtype {
                case .f32:
                    #if _endian(little)
                    if n > 0 { UnsafeMutableRawPointer(out).copyMemory(from: raw.baseAddress!, byteCount: 4 * n) }
                    #else
                    for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                    #endif
                case .u8:
                    let p = raw.bindMemory(to: UInt8.self)
                    for i in 0..<n { out[i] = Float(p[i]) }
                case .bf16:
                    for i in 0..<n {
                        let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        out[i] = Float(bitPattern: UInt32(bits) << 16)
                    }
                }
            }
        }
    }

    /// The values as floats.
    public var floats: [Float] {
        var out: [Float] = []
        appendFloats(to: &out)
        return out
    }

    /// The bfloat16 nearest `x` (ties to even), as its 16 bits.
    public static func bfloat16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(rounded >> 16)
    }

    @inline(__always)
    private static func store(_ v: UInt32, at offset: Int, in out: UnsafeMutableBufferPointer<UInt8>) {
        out[offset] = UInt8(truncatingIfNeeded: v)
        out[offset + 1] = UInt8(truncatingIfNeeded: v >> 8)
        out[offset + 2] = UInt8(truncatingIfNeeded: v >> 16)
        out[offset + 3] = UInt8(truncatingIfNeeded: v >> 24)
    }

    @inline(__always)
    private static func store16(_ v: UInt16, at offset: Int, in out: UnsafeMutableBufferPointer<UInt8>) {
        out[offset] = UInt8(truncatingIfNeeded: v)
        out[offset + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }
}
