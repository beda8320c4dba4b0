/// Observations as the learner keeps them: a row-major run of values, held
/// in the element type the environment sends. Pixel environments send bytes
/// (MinAtar's bits, Atari's 84×84 grey levels), and rows of bytes stay bytes
/// in every buffer between the pool and the network — the pool's batch, the
/// inference request, unrolls, PPO's rollout, R2D2's replay — so they take a
/// quarter of the memory of floats. They become floats once, on the device,
/// in ``tensor(shape:on:)``; a simulated accelerator is charged one byte per
/// value for crossing its link (and the conversion as a kernel).
///
/// Rows of one buffer share one element type. An empty buffer takes the type
/// of the first rows appended to it.
public struct ObservationRows: Equatable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible {
    public enum ElementType: Equatable, Sendable {
        case float32
        case uint8
    }

    public private(set) var elementType: ElementType
    /// The values when ``elementType`` is `.float32` (empty otherwise).
    public private(set) var floats: [Float]
    /// The values when ``elementType`` is `.uint8` (empty otherwise).
    public private(set) var bytes: [UInt8]

    public init(_ floats: [Float]) {
        elementType = .float32
        self.floats = floats
        bytes = []
    }

    public init(bytes: [UInt8]) {
        elementType = .uint8
        floats = []
        self.bytes = bytes
    }

    public init(arrayLiteral values: Float...) { self.init(values) }

    public init() { self.init([Float]()) }

    /// `count` zeros of `elementType`.
    public init(zeros count: Int, of elementType: ElementType) {
        switch elementType {
        case .float32: self.init([Float](repeating: 0, count: count))
        case .uint8: self.init(bytes: [UInt8](repeating: 0, count: count))
        }
    }

    /// Number of values.
    public var count: Int { elementType == .uint8 ? bytes.count : floats.count }
    public var isEmpty: Bool { count == 0 }
    /// Bytes the values occupy (1 or 4 per value).
    public var storageBytes: Int { elementType == .uint8 ? bytes.count : 4 * floats.count }

    /// The values as floats (a converted copy for bytes). For host-side
    /// arithmetic on observations (normalisation, SAC's MLPs); networks take
    /// ``tensor(shape:on:)``.
    public var floatValues: [Float] {
        elementType == .uint8 ? bytes.map(Float.init) : floats
    }

    /// Value `i` as a float.
    public subscript(i: Int) -> Float { elementType == .uint8 ? Float(bytes[i]) : floats[i] }

    /// Values `range` as floats (converted for bytes), for reading on the host.
    public subscript(range: Range<Int>) -> [Float] {
        elementType == .uint8 ? bytes[range].map(Float.init) : Array(floats[range])
    }

    public mutating func reserveCapacity(_ n: Int) {
        if elementType == .uint8 { bytes.reserveCapacity(n) } else { floats.reserveCapacity(n) }
    }

    public mutating func append(_ other: ObservationRows) {
        adoptTypeIfEmpty(other)
        if elementType == .uint8 { bytes += other.bytes } else { floats += other.floats }
    }

    /// Values `range` of `other`, appended without an intermediate copy.
    public mutating func append(_ other: ObservationRows, range: Range<Int>) {
        adoptTypeIfEmpty(other)
        if elementType == .uint8 { bytes += other.bytes[range] } else { floats += other.floats[range] }
    }

    /// Lets `body` append floats to the float storage in place (these must
    /// be float rows, or empty).
    public mutating func appendFloats(_ body: (inout [Float]) -> Void) {
        adoptTypeIfEmpty(ObservationRows())
        body(&floats)
    }

    public static func += (lhs: inout ObservationRows, rhs: ObservationRows) { lhs.append(rhs) }

    /// Values `range` as new rows.
    public func slice(_ range: Range<Int>) -> ObservationRows {
        elementType == .uint8 ? ObservationRows(bytes: Array(bytes[range])) : ObservationRows(Array(floats[range]))
    }

    /// Row `i` of rows `width` values wide.
    public func row(_ i: Int, width: Int) -> ObservationRows { slice((i * width)..<((i + 1) * width)) }

    /// The given rows (`width` values each), in that order.
    public func gather(rows indices: [Int], width: Int) -> ObservationRows {
        var out = ObservationRows(zeros: 0, of: elementType)
        out.reserveCapacity(indices.count * width)
        for i in indices { out.append(self, range: (i * width)..<((i + 1) * width)) }
        return out
    }

    /// Writes `values` over `range` (same length, same element type unless this is empty).
    public mutating func replaceSubrange(_ range: Range<Int>, with values: ObservationRows) {
        require(values.count == range.count, "ObservationRows: replacing \(range.count) values with \(values.count)")
        if values.elementType != elementType {
            require(floats.allSatisfy { $0 == 0 } && bytes.allSatisfy { $0 == 0 },
                    "ObservationRows: writing \(values.elementType) values into \(elementType) rows")
            self = ObservationRows(zeros: count, of: values.elementType)
        }
        if elementType == .uint8 { bytes.replaceSubrange(range, with: values.bytes) } else { floats.replaceSubrange(range, with: values.floats) }
    }

    /// The rows as a `[rows, …]` float tensor on `device`: bytes cross a
    /// simulated device's link as bytes and are converted there.
    public func tensor(shape: [Int], on device: Device) throws -> Tensor {
        switch elementType {
        case .float32: return try Tensor(floats, shape: shape).to(device)
        case .uint8: return try Tensor(bytes: bytes, shape: shape, on: device)
        }
    }

    public var description: String {
        let shown = count <= 8 ? "\(floatValues)" : "\(Array(slice(0..<8).floatValues)) …"
        return "ObservationRows(\(count) × \(elementType): \(shown))"
    }

    private mutating func adoptTypeIfEmpty(_ other: ObservationRows) {
        guard other.elementType != elementType, !other.isEmpty || isEmpty else { return }
        require(isEmpty, "ObservationRows: appending \(other.elementType) values to \(elementType) rows")
        // The capacity reserved for one type serves the other (a buffer made
        // before the first rows' type was known).
        let reserved = max(floats.capacity, bytes.capacity)
        self = ObservationRows(zeros: 0, of: other.elementType)
        reserveCapacity(reserved)
    }
}

extension Tensor {
    /// A float tensor of `shape` on `device` holding `bytes` as values 0…255.
    /// A simulated accelerator is charged the copy at one byte per value and
    /// the conversion as an elementwise kernel (read 1, write 4 bytes each):
    /// what a real one does with a u8 input it converts in its first layer.
    public convenience init(bytes: [UInt8], shape: [Int], on device: Device) throws {
        require(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        require(shape.reduce(1, *) == bytes.count, "\(bytes.count) bytes do not fill shape \(shape)")
        let storage = try TensorStorage(count: bytes.count, device: device, checked: true)
        bytes.withUnsafeBufferPointer { source in
            for i in 0..<source.count { storage.base[i] = Float(source[i]) }
        }
        if !device.isHost {
            device.chargeTransfer(bytes: bytes.count, toDevice: true)
            device.charge(.vector(elements: bytes.count, bytes: 5 * bytes.count))
        }
        self.init(shape: shape, storage: storage)
    }
}
