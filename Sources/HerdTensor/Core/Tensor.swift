/// An n-dimensional array of `Float`, row-major and contiguous, on a ``Device``.
///
/// A tensor is a reference to an immutable-by-convention buffer: ops return
/// new tensors, several tensors may share one buffer (``reshaped(_:)``,
/// ``stopGradient()``). Optimisers update parameters in place through
/// ``assign(_:)`` and ``withUnsafeMutableBufferPointer(_:)``.
///
/// Gradients are recorded on a ``GradientTape`` while one is active; a tensor
/// takes part when it is a parameter (``requiresGradient``), was watched, or
/// was computed on the tape from one that does.
public final class Tensor: CustomStringConvertible, @unchecked Sendable {
    /// Sizes of the dimensions, outermost first. `[]` for a scalar.
    public let shape: [Int]
    /// Number of elements, the product of `shape`.
    public let count: Int
    let storage: TensorStorage

    /// When true, ops on an active tape record how to differentiate with
    /// respect to this tensor. Set it on parameters.
    public var requiresGradient = false
    /// Which tape slot holds this tensor's gradient (valid while `tapeID`
    /// matches the recording tape).
    var tapeID: UInt64 = 0
    var tapeSlot: Int = -1

    init(shape: [Int], storage: TensorStorage) {
        self.shape = shape
        self.count = storage.count
        self.storage = storage
    }

    /// A new, uninitialised tensor of `shape` on `device`, for kernels.
    init(uninitializedShape shape: [Int], device: Device) {
        let count = shape.reduce(1, *)
        self.shape = shape
        self.count = count
        self.storage = TensorStorage.uninitialized(count: count, device: device)
    }

    /// The device that holds the buffer.
    public var device: Device { storage.device }
    /// `shape.count`.
    public var rank: Int { shape.count }

    var base: UnsafeMutablePointer<Float> { storage.base }

    // MARK: Creation on the host

    /// A host tensor holding `scalars` in row-major order.
    public convenience init(_ scalars: [Float], shape: [Int]) {
        require(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        require(shape.reduce(1, *) == scalars.count,
                     "\(scalars.count) scalars do not fill shape \(shape)")
        self.init(uninitializedShape: shape, device: .cpu)
        scalars.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: scalars.count) }
    }

    /// A rank-1 host tensor.
    public convenience init(_ scalars: [Float]) { self.init(scalars, shape: [scalars.count]) }

    /// A rank-0 host tensor.
    public convenience init(_ scalar: Float) { self.init([scalar], shape: []) }

    /// A host tensor of `shape` filled with `value`.
    public static func full(_ shape: [Int], _ value: Float) -> Tensor {
        let t = Tensor(uninitializedShape: shape, device: .cpu)
        t.base.initialize(repeating: value, count: t.count)
        return t
    }

    public static func zeros(_ shape: [Int]) -> Tensor { full(shape, 0) }
    public static func ones(_ shape: [Int]) -> Tensor { full(shape, 1) }

    // MARK: Creation on any device (checked allocation)

    /// A tensor of `shape` filled with `value` on `device`; throws when the
    /// device's memory cannot hold it.
    public static func full(_ shape: [Int], _ value: Float, on device: Device) throws -> Tensor {
        let storage = try TensorStorage(count: shape.reduce(1, *), device: device, checked: true)
        storage.base.initialize(repeating: value, count: storage.count)
        if !device.isHost { device.charge(.vector(elements: storage.count, flopsPerElement: 0, bytes: storage.count * 4)) }
        return Tensor(shape: shape, storage: storage)
    }

    public static func zeros(_ shape: [Int], on device: Device) throws -> Tensor { try full(shape, 0, on: device) }
    public static func ones(_ shape: [Int], on device: Device) throws -> Tensor { try full(shape, 1, on: device) }

    /// A tensor of the same shape and device filled with `value`.
    public func filled(with value: Float) -> Tensor {
        let t = Tensor(uninitializedShape: shape, device: device)
        t.base.initialize(repeating: value, count: count)
        return t
    }

    // MARK: Reading

    /// The elements in row-major order. Host tensors only: copy an
    /// accelerator tensor with ``to(_:)`` first (transfers are explicit).
    public var scalars: [Float] {
        requireHost("scalars")
        return Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// The only element of a one-element host tensor.
    public var scalar: Float {
        require(count == 1, "scalar of a tensor of shape \(shape)")
        requireHost("scalar")
        return base[0]
    }

    /// Element at a multi-index (host only, for tests and debugging).
    public subscript(indices: Int...) -> Float {
        requireHost("subscript")
        require(indices.count == rank, "\(indices.count) indices for rank \(rank)")
        var offset = 0
        for (axis, index) in indices.enumerated() {
            require(index >= 0 && index < shape[axis], "index \(index) out of range for axis \(axis) of \(shape)")
            offset = offset * shape[axis] + index
        }
        return base[offset]
    }

    /// Read-only access to the buffer (host tensors).
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        requireHost("withUnsafeBufferPointer")
        return try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// In-place access to the buffer, on any device: every tensor sharing the
    /// buffer sees the change. For optimisers and loaders.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: count))
    }

    /// Overwrites this tensor's elements with `other`'s (same shape and device).
    public func assign(_ other: Tensor) {
        require(other.shape == shape, "assign: shape \(other.shape) into \(shape)")
        require(other.device === device, "assign: tensor on \(other.device) into one on \(device)")
        base.update(from: other.base, count: count)
    }

    /// A deep copy on the same device, not connected to any tape.
    public func copy() -> Tensor {
        let t = Tensor(uninitializedShape: shape, device: device)
        t.base.update(from: base, count: count)
        device.charge(.vector(elements: count, flopsPerElement: 0, bytes: 8 * count))
        return t
    }

    public var description: String {
        guard device.isHost else { return "Tensor(shape: \(shape), device: \(device))" }
        let shown = count <= 16 ? "\(scalars)" : "\(Array(scalars.prefix(16))) …"
        return "Tensor(shape: \(shape), \(shown))"
    }

    func requireHost(_ what: String) {
        require(device.isHost,
                     "\(what) of a tensor on \(device): copy it to the host with `try tensor.to(.cpu)` first")
    }
}

// MARK: - Device transfers

extension Tensor {
    /// A copy of this tensor on `device` (the same tensor if already there).
    /// Copies are counted by the accelerator and charged link time. Throws a
    /// pending device error (see ``Device/synchronize()``) or out-of-memory.
    /// The copy is a new leaf: gradients do not flow across devices.
    public func to(_ target: Device) throws -> Tensor {
        if target === device { return self }
        try device.synchronize()
        let storage = try TensorStorage(count: count, device: target, checked: true)
        storage.base.update(from: base, count: count)
        let bytes = count * MemoryLayout<Float>.stride
        if !device.isHost { device.chargeTransfer(bytes: bytes, toDevice: false) }
        if !target.isHost { target.chargeTransfer(bytes: bytes, toDevice: true) }
        return Tensor(shape: shape, storage: storage)
    }
}

extension Tensor {
    /// This tensor for host-side reading inside the library (sampling): a
    /// simulated device's memory is host memory, so no copy is made, but the
    /// device is charged the device→host transfer a real one would need.
    func readableOnHost() -> Tensor {
        if !device.isHost { device.chargeTransfer(bytes: 4 * count, toDevice: false) }
        return self
    }
}

/// The device shared by every operand of an op; two devices is a programmer
/// error with a message naming both.
@inline(__always)
func commonDevice(_ op: StaticString, _ a: Tensor, _ b: Tensor) -> Device {
    if a.storage.device !== b.storage.device {
        requirementFailure(mixedDeviceMessage(op: op, a.device, b.device))
    }
    return a.storage.device
}

/// The message for an op whose operands live on two devices.
public func mixedDeviceMessage(op: StaticString, _ a: Device, _ b: Device) -> String {
    "\(op): operands live on two devices (\(a) and \(b)); copy one with `try tensor.to(device)`"
}
