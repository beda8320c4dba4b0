import Foundation
import HerdAgents
import HerdCore
import HerdTensor
import HerdTestSupport
import XCTest

final class NonFiniteGuardTests: XCTestCase {
    func testGuard_countsSkipsInAllAndInARow() {
        var guardState = NonFiniteGuard()
        XCTAssertTrue(guardState.admit(loss: 1, gradientNorm: 2))
        XCTAssertFalse(guardState.admit(loss: .nan, gradientNorm: 2))
        XCTAssertFalse(guardState.admit(loss: 1, gradientNorm: .infinity))
        XCTAssertFalse(guardState.admit(loss: -.infinity, gradientNorm: 0))
        XCTAssertEqual(guardState.consecutive, 3)
        XCTAssertTrue(guardState.admit(loss: 0, gradientNorm: 0))
        XCTAssertEqual(guardState.consecutive, 0)
        XCTAssertEqual(guardState.skipped, 3)
    }
}
