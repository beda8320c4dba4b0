import Foundation

/// A bounded cache of large freed buffers, reused by later tensors of the
/// same size.
///
/// glibc serves allocations of ≥128 KiB with `mmap`, so without reuse each
/// large op output costs a page fault per 4 KiB and the kernel's zeroing
/// (about 5% of a 1024×1024 product). Buffers from 16 KiB up are pooled too:
/// glibc trims the top of its heap when they are freed, so a training step
/// on 64-wide layers at batch 256 (64 KiB outputs) page-faulted in every op
/// (half of a SAC run's time was in the kernel; pooling them made it 1.8×
/// faster). Smaller buffers go straight to malloc. The pool keeps at most
/// `capacityBytes` and returns memory to the system beyond that.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool(capacityBytes: 256 << 20)
    /// Buffers at least this large are pooled.
    static let minimumBytes = 16 << 10

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var _cachedBytes = 0
    let capacityBytes: Int

    /// Bytes held in the cache now.
    var cachedBytes: Int { lock.withLock { _cachedBytes } }

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    /// A 64-byte-aligned buffer of `bytes`, reused when one is cached.
    func allocate(bytes: Int) -> UnsafeMutableRawPointer? {
        if bytes >= Self.minimumBytes {
            let reused: UnsafeMutableRawPointer? = lock.withLock {
                guard let buffer = free[bytes]?.popLast() else { return nil }
                _cachedBytes -= bytes
                return buffer
            }
            if let reused { return reused }
        }
        var raw: UnsafeMutableRawPointer?
        return posix_memalign(&raw, 64, bytes) == 0 ? raw : nil
    }

    /// Takes a buffer back: cached if large and room remains, else freed.
    func release(_ buffer: UnsafeMutableRawPointer, bytes: Int) {
        if bytes >= Self.minimumBytes {
            let kept: Bool = lock.withLock {
                guard _cachedBytes + bytes <= capacityBytes else { return false }
                free[bytes, default: []].append(buffer)
                _cachedBytes += bytes
                return true
            }
            if kept { return }
        }
        Foundation.free(buffer)
    }
}
