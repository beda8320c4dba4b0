import Foundation
import HerdRuntime
import HerdTestSupport
import XCTest

final class UnrollStoreTests: XCTestCase {
    /// A step tagged with its environment and time, plus the done flag it carries.
    struct Step: Equatable { var environment: Int, time: Int, done = false }

    func testUnrolls_haveTPlusOneSteps_andOverlapByOne() {
        var store = UnrollStore<Step>(environments: 2, length: 3)
        var unrolls: [[Step]] = []
        for t in 0..<10 {
            for e in 0..<2 {
                if let u = store.append(Step(environment: e, time: t), environment: e) { unrolls.append(u) }
            }
        }
        // Environment 0: [0…3], [3…6], [6…9]; the same for environment 1.
        XCTAssertEqual(unrolls.count, 6)
        XCTAssertEqual(unrolls.filter { $0[0].environment == 0 }.map { $0.map(\.time) }, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
        for u in unrolls { XCTAssertEqual(Set(u.map(\.environment)).count, 1, "an unroll mixes environments") }
        XCTAssertEqual(store.completedUnrolls, 6)
        XCTAssertEqual(store.pendingSteps(environment: 0), 1)  // step 9, carried into the next unroll
    }

    func testEpisodeBoundaryInsideAnUnroll_isKeptWithItsFlag() {
        var store = UnrollStore<Step>(environments: 1, length: 4)
        var unroll: [Step]?
        for t in 0..<5 { unroll = store.append(Step(environment: 0, time: t, done: t == 2), environment: 0) ?? unroll }
        XCTAssertEqual(unroll?.map(\.time), [0, 1, 2, 3, 4], "an episode end must not cut the unroll")
        XCTAssertEqual(unroll?.map(\.done), [false, false, true, false, false])
    }

    func testWorkerRestart_startsFreshUnrolls_andCountsTheDiscarded() {
        var store = UnrollStore<Step>(environments: 2, length: 3)
        for t in 0..<6 { _ = store.append(Step(environment: 0, time: t), environment: 0) }  // one unroll out, steps 3,4,5 held
        _ = store.append(Step(environment: 1, time: 0), environment: 1)
        store.discard(environment: 0)
        XCTAssertEqual(store.discardedUnrolls, 1)
        XCTAssertEqual(store.discardedSteps, 2, "step 3 was already delivered; 4 and 5 were new")
        XCTAssertEqual(store.pendingSteps(environment: 1), 1, "other environments are untouched")
        var next: [Step]?
        for t in 100..<104 { next = store.append(Step(environment: 0, time: t), environment: 0) ?? next }
        XCTAssertEqual(next?.map(\.time), [100, 101, 102, 103], "no step from before the restart")
        // Discarding right after a hand-out drops only the carried step: nothing new is lost.
        store.discard(environment: 0)
        XCTAssertEqual(store.discardedUnrolls, 1)
        XCTAssertEqual(store.discardedSteps, 2)
    }

    func testQueue_isFIFO_andPutBlocksWhenFull() {
        let queue = BoundedQueue<Int>(capacity: 2)
        XCTAssertTrue(queue.put(1))
        XCTAssertTrue(queue.put(2))
        XCTAssertFalse(queue.put(3, timeout: 0.05), "a full queue must not grow")
        XCTAssertEqual(queue.count, 2)
        XCTAssertEqual(queue.blockedPuts, 1)

        // A producer blocked on a full queue proceeds once the consumer takes one.
        let released = expectation(description: "put returns after a take")
        let producer = Thread {
            XCTAssertTrue(queue.put(3))
            released.fulfill()
        }
        producer.start()
        XCTAssertTrue(eventually(5) { queue.blockedPuts == 2 }, "the producer must be waiting")
        XCTAssertEqual(queue.count, 2, "the producer must still be waiting")
        XCTAssertEqual(queue.take(), 1)
        wait(for: [released], timeout: 5)
        XCTAssertEqual([queue.take(), queue.take()], [2, 3])
        XCTAssertNil(queue.take(timeout: 0.01))
        XCTAssertGreaterThan(queue.blockedSeconds, 0.05)
    }

    func testQueue_closeWakesWaiters() {
        let queue = BoundedQueue<Int>(capacity: 1)
        let woke = expectation(description: "take returns nil after close")
        Thread {
            XCTAssertNil(queue.take())
            woke.fulfill()
        }.start()
        queue.close()  // before or during the take: either way it returns nil

        wait(for: [woke], timeout: 5)
        XCTAssertFalse(queue.put(1))
    }
}
