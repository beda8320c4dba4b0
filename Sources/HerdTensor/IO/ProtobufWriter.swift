/// Protocol buffers' wire format, for writing: the few encodings Herd's
/// files need (TensorBoard events, ONNX models): varints (wire type 0),
/// 64-bit (1), length-delimited (2) and 32-bit (5) fields, little-endian.
public struct ProtobufWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func rawVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func varint(_ field: Int, _ value: UInt64) {
        rawVarint(UInt64(field << 3))
        rawVarint(value)
    }

    public mutating func double(_ field: Int, _ value: Double) {
        rawVarint(UInt64(field << 3 | 1))
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func fixed32(_ field: Int, _ value: UInt32) {
        rawVarint(UInt64(field << 3 | 5))
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func float(_ field: Int, _ value: Float) { fixed32(field, value.bitPattern) }

    public mutating func lengthDelimited(_ field: Int, _ payload: [UInt8]) {
        rawVarint(UInt64(field << 3 | 2))
        rawVarint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    public mutating func string(_ field: Int, _ value: String) { lengthDelimited(field, Array(value.utf8)) }
    public mutating func message(_ field: Int, _ value: [UInt8]) { lengthDelimited(field, value) }
    public mutating func message(_ field: Int, _ value: ProtobufWriter) { lengthDelimited(field, value.bytes) }
}
