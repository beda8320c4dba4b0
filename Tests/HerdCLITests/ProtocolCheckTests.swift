import Foundation
import HerdTestSupport
import XCTest

/// `herd protocol check`, the conformance kit for worker authors: Herd's
/// own two workers pass every check; a worker that breaks the protocol is
/// told, check by check, what it got wrong, and the command fails.
final class ProtocolCheckTests: XCTestCase {
    func check(_ arguments: [String]) throws -> ProcessResult {
        try runProcess(try herdExecutable(), ["protocol", "check"] + arguments, currentDirectory: repositoryRoot)
    }

    func testHerdsOwnWorkers_passEveryCheck() throws {
        let herd = try herdExecutable()
        let builtIn = try check(["--worker", "'\(herd)' env-worker --connect {endpoint}"])
        XCTAssertEqual(builtIn.status, 0, builtIn.stdout + builtIn.stderr)
        XCTAssertTrue(builtIn.stdout.contains("the worker follows the protocol (0 warnings)"), builtIn.stdout)
        for scenario in ["conversation", "seeds", "heartbeats", "requests before assign", "actions before reset", "invalid actions",
                         "a second assign", "malformed frames", "refusal", "unknown environment", "another protocol version", "goodbye"] {
            XCTAssertTrue(builtIn.stdout.contains("ok    \(scenario):"), "\(scenario) missing:\n\(builtIn.stdout)")
        }

        let python = try pythonWith(["gymnasium", "numpy", "zmq"])
        let command = (python == "/usr/bin/env" ? "python3" : "'\(python)'") + " envs/gymnasium_worker.py --connect {endpoint}"
        let bridge = try check(["--environment", "gymnasium:CartPole-v1", "--settings", #"{"herd_declare_bounds": true}"#, "--worker", command])
        XCTAssertEqual(bridge.status, 0, bridge.stdout + bridge.stderr)
        XCTAssertTrue(bridge.stdout.contains("the worker follows the protocol (0 warnings)"), bridge.stdout)
        XCTAssertTrue(bridge.stdout.contains("f32 within declared bounds"), "CartPole's Box is declared at ready when asked:\n\(bridge.stdout)")
    }

    /// A worker that answers every step with a NaN reward and answers
    /// everything, ready or not (benchmarks/hostile_peer.py): the checks it
    /// breaks fail with what it did, and the command exits 1.
    func testABrokenWorker_isToldWhatItGotWrong() throws {
        let python = try pythonWith(["zmq"])
        let command = (python == "/usr/bin/env" ? "python3" : "'\(python)'") + " benchmarks/hostile_peer.py --mode nan --seconds 30 --connect {endpoint}"
        let result = try check(["--worker", command, "--timeout", "3"])
        XCTAssertEqual(result.status, 1, result.stdout + result.stderr)
        for expected in ["FAIL  conversation: unusable results: reward nan", "FAIL  heartbeats:", "FAIL  requests before assign:",
                         "FAIL  malformed frames: bad magic: answered results", "FAIL  unknown environment:",
                         "FAIL  another protocol version:", "ok    goodbye:"] {
            XCTAssertTrue(result.stdout.contains(expected), "\(expected) missing:\n\(result.stdout)")
        }
        XCTAssertTrue(result.stdout.contains("checks failed"), result.stdout)
    }
}
