import Foundation

/// A reference-counted, 64-byte-aligned float buffer owned by one device.
///
/// Tensors share storage freely (reshape, stop-gradient and views of the
/// whole buffer cost no copy); kernels write only into storage they just
/// allocated, so sharing is safe. The only in-place writers are optimisers
/// and explicit `assign`, which document it.
final class TensorStorage: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int
    let device: Device

    /// Allocates without zeroing. On an accelerator the memory is reserved
    /// with `Device.reserveForKernel` (a sticky out-of-memory error) unless
    /// `checked` asks for an immediate throw.
    init(count: Int, device: Device, checked: Bool = false) throws {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if checked { try device.reserve(bytes: bytes) } else { device.reserveForKernel(bytes: bytes) }
        guard let raw = BufferPool.shared.allocate(bytes: bytes) else {
            device.release(bytes: bytes)
            throw DeviceError.outOfMemory(device: "host", requestedBytes: bytes, freeBytes: 0, capacityBytes: 0)
        }
        self.base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        self.device = device
    }

    /// Allocation for an op's output, which cannot fail short of the host
    /// running out of memory (then the process cannot go on anyway).
    static func uninitialized(count: Int, device: Device) -> TensorStorage {
        do {
            return try TensorStorage(count: count, device: device)
        } catch {
            requirementFailure("host allocation of \(count) floats failed: \(error)")
        }
    }

    deinit {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        device.release(bytes: bytes)
        BufferPool.shared.release(UnsafeMutableRawPointer(base), bytes: bytes)
    }
}
