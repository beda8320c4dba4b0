import Foundation
import HerdTestSupport
import XCTest

/// Every input the fuzzers (scripts/fuzz.sh) ever flagged lives in
/// Tests/Fuzz/regressions/<target>/ and is replayed here through the same
/// target code, with the starting corpora: each must be accepted or
/// rejected with the component's own error, never crash.
final class FuzzRegressionTests: XCTestCase {
    func replay(_ target: String, _ files: [String]) throws -> ProcessResult {
        let fuzz = URL(fileURLWithPath: try herdExecutable()).deletingLastPathComponent().appendingPathComponent("herd-fuzz").path
        return try runProcess(fuzz, [target] + files, currentDirectory: repositoryRoot)
    }

    func files(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
            .map { directory.appendingPathComponent($0).path }
    }

    func testFuzzRegressionsAndSeeds_replayWithoutAFinding() throws {
        let seeds = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: seeds) }
        let fuzz = URL(fileURLWithPath: try herdExecutable()).deletingLastPathComponent().appendingPathComponent("herd-fuzz").path
        XCTAssertEqual(try runProcess(fuzz, ["seeds", seeds.path]).status, 0)
        let regressions = repositoryRoot.appendingPathComponent("Tests/Fuzz/regressions")
        let inputs = [
            "codec": files(in: seeds) + files(in: regressions.appendingPathComponent("codec")),
            "config": files(in: repositoryRoot.appendingPathComponent("configs")).filter { $0.hasSuffix(".yaml") }
                + files(in: regressions.appendingPathComponent("config")),
        ]
        for (target, list) in inputs {
            XCTAssertGreaterThan(list.count, 5, target)
            let result = try replay(target, list)
            XCTAssertEqual(result.status, 0, "\(target): \(result.stdout)")
            XCTAssertTrue(result.stdout.contains("\(list.count) inputs replayed, 0 findings"), result.stdout)
        }
        // The replayer does flag what it should: an unreadable input is a finding.
        let missing = try replay("codec", ["/nonexistent/input"])
        XCTAssertNotEqual(missing.status, 0)
    }
}
