@testable import HerdTensor
import XCTest

final class BufferPoolTests: XCTestCase {
    func testLargeBuffersAreReused_smallOnesAndOverflowAreFreed() {
        let large = BufferPool.minimumBytes
        let capacity = 8 * large
        let pool = BufferPool(capacityBytes: capacity)
        let a = pool.allocate(bytes: large)!
        XCTAssertEqual(Int(bitPattern: a) % 64, 0, "64-byte aligned")
        pool.release(a, bytes: large)
        XCTAssertEqual(pool.allocate(bytes: large), a, "a cached buffer of the same size is handed out again")
        XCTAssertNotEqual(pool.allocate(bytes: large), a, "and only once")
        // Past the capacity, buffers are freed rather than cached.
        XCTAssertEqual(pool.cachedBytes, 0)
        let buffers = (0..<10).map { _ in pool.allocate(bytes: large)! }
        for b in buffers { pool.release(b, bytes: large) }
        XCTAssertEqual(pool.cachedBytes, capacity, "only capacity / size buffers were kept")
        _ = pool.allocate(bytes: large)
        XCTAssertEqual(pool.cachedBytes, capacity - large)
        let small = pool.allocate(bytes: large - 64)!
        pool.release(small, bytes: large - 64)
        XCTAssertEqual(pool.cachedBytes, capacity - large, "buffers below the minimum are freed, not cached")
    }

    func testTensorsOverPooledBuffersKeepTheirValues() {
        let n = 256 * 256  // 256 KiB: pooled
        do { _ = Tensor.full([n], 7) }
        let t = Tensor.full([n], 3)
        let u = t + 1
        XCTAssertEqual(u.scalars.allSatisfy { $0 == 4 }, true)
        XCTAssertEqual(t.scalars.allSatisfy { $0 == 3 }, true)
    }
}
