import Foundation

/// Where a tensor's buffer lives and where its kernels run.
///
/// `Device.cpu` runs kernels on OpenBLAS and plain loops with no accounting.
/// A simulated accelerator (``Device/accelerator(_:precision:)``) runs the same
/// numerics on the host but behaves like an accelerator: its memory has a
/// capacity, host↔device copies are explicit (``Tensor/to(_:)``) and counted,
/// every kernel is charged simulated time by ``CostModel``, and matrix products
/// may use reduced precision (``Precision``).
///
/// Out-of-memory inside an op is *sticky*, as asynchronous accelerator errors
/// are: the op still completes (so no op has to throw), the device remembers
/// the first failure, and the next ``synchronize()`` or transfer throws it.
/// Explicit allocations (``Tensor/zeros(_:on:)`` and friends) throw at once.
public final class Device: CustomStringConvertible, @unchecked Sendable {
    /// The host. Kernels run on OpenBLAS; nothing is counted.
    public static let cpu = Device()

    /// The profile's name, or `cpu`.
    public let name: String
    /// The accelerator's figures; `nil` for the host.
    public let profile: DeviceProfile?
    /// Numerics used by matrix products on this device.
    public let precision: Precision

    private let lock = NSLock()
    private var _counters = DeviceCounters()
    private var _bytesInUse = 0
    private var _peakBytes = 0
    private var pendingError: DeviceError?

    private init() {
        name = "cpu"
        profile = nil
        precision = .fp32
    }

    private init(profile: DeviceProfile, precision: Precision) {
        self.name = profile.name
        self.profile = profile
        self.precision = precision
    }

    /// A fresh simulated accelerator (empty memory, zeroed counters).
    /// - Parameter precision: overrides the profile's default precision.
    public static func accelerator(_ profile: DeviceProfile, precision: Precision? = nil) -> Device {
        Device(profile: profile, precision: precision ?? profile.defaultPrecision)
    }

    /// True for `Device.cpu`.
    public var isHost: Bool { profile == nil }

    public var description: String {
        isHost ? "cpu" : "\(name) (simulated, \(precision.rawValue))"
    }

    // MARK: Memory

    /// Memory capacity in bytes (`Int.max` for the host).
    public var capacityBytes: Int { profile?.memoryBytes ?? Int.max }

    /// Bytes currently held by live tensors on this device.
    public var bytesInUse: Int { lock.withLock { _bytesInUse } }

    /// Largest `bytesInUse` seen so far.
    public var peakBytesInUse: Int { lock.withLock { _peakBytes } }

    /// Reserves `bytes` or throws ``DeviceError/outOfMemory(device:requestedBytes:freeBytes:capacityBytes:)``.
    func reserve(bytes: Int) throws {
        guard !isHost else { return }
        try lock.withLock {
            let free = capacityBytes - _bytesInUse
            guard bytes <= free else {
                throw DeviceError.outOfMemory(device: name, requestedBytes: bytes, freeBytes: free, capacityBytes: capacityBytes)
            }
            _bytesInUse += bytes
            _peakBytes = max(_peakBytes, _bytesInUse)
        }
    }

    /// Reserves `bytes` for an op's output. Over capacity the allocation
    /// still happens (the numbers must come out) but the device records a
    /// sticky out-of-memory error that ``synchronize()`` throws.
    func reserveForKernel(bytes: Int) {
        guard !isHost else { return }
        lock.withLock {
            let free = capacityBytes - _bytesInUse
            if bytes > free, pendingError == nil {
                pendingError = .outOfMemory(device: name, requestedBytes: bytes, freeBytes: free, capacityBytes: capacityBytes)
            }
            _bytesInUse += bytes
            _peakBytes = max(_peakBytes, _bytesInUse)
        }
    }

    func release(bytes: Int) {
        guard !isHost else { return }
        lock.withLock { _bytesInUse -= bytes }
    }

    /// Throws the first error an op hit since the last call (out of memory),
    /// then clears it. Call it where a real accelerator program would block on
    /// its results: after a training step, before reading results.
    public func synchronize() throws {
        let error: DeviceError? = lock.withLock {
            defer { pendingError = nil }
            return pendingError
        }
        if let error { throw error }
    }

    // MARK: Accounting

    /// Snapshot of the counters.
    public var counters: DeviceCounters { lock.withLock { _counters } }

    /// Zeroes the counters (memory in use is not affected).
    public func resetCounters() { lock.withLock { _counters = DeviceCounters() } }

    /// Charges one kernel to the simulated clock. No-op on the host.
    func charge(_ kernel: KernelCost) {
        guard let profile else { return }
        let model = CostModel(profile: profile, precision: precision)
        let seconds = model.seconds(for: kernel)
        let useful = model.usefulSeconds(for: kernel)
        lock.withLock { _counters.add(kernel: kernel, seconds: seconds, usefulSeconds: useful) }
    }

    /// Charges a host↔device copy of `bytes` over the profile's link.
    func chargeTransfer(bytes: Int, toDevice: Bool) {
        guard let profile else { return }
        let seconds = profile.transferLatencySeconds + Double(bytes) / profile.linkBytesPerSecond
        lock.withLock { _counters.addTransfer(bytes: bytes, seconds: seconds, toDevice: toDevice) }
    }
}

/// Errors a device reports. Each names the device and the figures involved.
public enum DeviceError: Error, Equatable, CustomStringConvertible {
    /// An allocation of `requestedBytes` did not fit in the free memory.
    case outOfMemory(device: String, requestedBytes: Int, freeBytes: Int, capacityBytes: Int)
    /// A device profile file or value is unusable.
    case invalidProfile(String)

    public var description: String {
        switch self {
        case let .outOfMemory(device, requested, free, capacity):
            return "out of memory on \(device): requested \(formatBytes(requested)), " +
                "\(formatBytes(max(free, 0))) free of \(formatBytes(capacity))"
        case let .invalidProfile(message):
            return "invalid device profile: \(message)"
        }
    }
}

/// `1536` → `"1.5 KiB"`.
public func formatBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 {
        value /= 1024
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}
