import Foundation
import HerdTestSupport
import HerdTransport
import XCTest

final class ZeroMQTests: XCTestCase {
    /// The linked libzmq is the one pkg-config describes (the system library
    /// the build found), not some other copy.
    func testLinkedVersionMatchesPkgConfig() throws {
        let result = try runProcess("/usr/bin/env", ["pkg-config", "--modversion", "libzmq"])
        guard result.status == 0 else { throw XCTSkip("SKIPPED: pkg-config cannot describe libzmq: \(result.stderr)") }
        XCTAssertEqual(ZeroMQ.version, result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
