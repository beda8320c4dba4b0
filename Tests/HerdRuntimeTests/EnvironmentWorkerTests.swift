import Foundation
import HerdEnvironments
import HerdRuntime
import HerdTestSupport
import HerdTransport
import XCTest

/// A real `herd env-worker` process driven from a ROUTER in the test.
final class EnvironmentWorkerTests: XCTestCase {
    func startWorker(learnerTimeout: Double = 5) throws -> (ChildProcess, ZMQSocket, ZMQContext, String) {
        let context = ZMQContext()
        let router = try ZMQSocket(context, .router)
        let endpoint = "ipc:///tmp/herd-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        try router.bind(endpoint)
        let worker = try ChildProcess(executable: try herdExecutable(), arguments: [
            "env-worker", "--connect", endpoint, "--identity", "w", "--learner-timeout", "\(learnerTimeout)", "--heartbeat", "0.2"])
        return (worker, router, context, endpoint)
    }

    func receive(_ router: ZMQSocket, skippingHeartbeats: Bool = true) throws -> (WireMessage, UInt64) {
        while true {
            guard let frames = try router.receive(timeoutMilliseconds: 5000) else { throw RuntimeError.invalidRequest("no reply in 5 s") }
            let decoded = try WireCodec.decode(frames[1].byteArray)
            if skippingHeartbeats, decoded.message == .heartbeat { continue }
            return decoded
        }
    }

    func send(_ router: ZMQSocket, _ message: WireMessage, sequence: UInt64 = 1) throws {
        try router.send([Array("w".utf8), WireCodec.encode(message, sequence: sequence)])
    }

    func testHandshakeResetStep_andGarbageIsSurvived() throws {
        let (worker, router, context, _) = try startWorker()
        defer { worker.terminate(); _ = context }
        guard case let (.hello(hello), _) = try receive(router) else { return XCTFail("expected hello") }
        XCTAssertEqual(hello.pid, UInt32(worker.pid))
        try send(router, .assign(Assign(workerIndex: 0, firstEnvironmentID: 0, environment: "MemoryChain-v0",
                                        settingsJSON: #"{"length":2}"#, seeds: [1, 2])))
        guard case let (.ready(ready), _) = try receive(router) else { return XCTFail("expected ready") }
        XCTAssertEqual(ready.environmentCount, 2)
        XCTAssertEqual(ready.observationSize, 3)
        XCTAssertEqual(ready.discreteActions, 2)
        // Garbage of every kind: the worker drops it and keeps serving.
        var rng = RandomGenerator(seed: 3)
        for _ in 0..<200 {
            try router.send([Array("w".utf8), (0..<Int(rng.next() % 80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }])
        }
        try router.send([Array("w".utf8), [1], [2]])
        try send(router, .results(Results(environmentCount: 0, observationSize: 0, observations: [], rewards: [], terminated: [],
                                          truncated: [], finalObservations: [])))
        try send(router, .actions(Actions(environmentCount: 5, actionSize: 1, values: [0, 0, 0, 0, 0])), sequence: 8)
        guard case let (.error(shapeError), 8) = try receive(router) else { return XCTFail("expected an error for the wrong shape") }
        XCTAssertEqual(shapeError.code, .badMessage)
        try send(router, .reset, sequence: 9)
        guard case let (.results(first), 9) = try receive(router) else { return XCTFail("expected results") }
        let reference = try EnvironmentRegistry.make("MemoryChain-v0", settings: ["length": .int(2)])
        XCTAssertEqual(Array(first.observations.floats[0..<3]), reference.reset(seed: 1))
        // Four steps: the episode (length 2 + 2 steps) ends on the fourth with ±1 and auto-resets.
        var last = first
        for t in 0..<4 {
            try send(router, .actions(Actions(environmentCount: 2, actionSize: 1, values: [1, 1])), sequence: 10 + UInt64(t))
            guard case let (.results(r), seq) = try receive(router) else { return XCTFail("expected results") }
            XCTAssertEqual(seq, 10 + UInt64(t))
            last = r
        }
        XCTAssertEqual(last.terminated, [true, true])
        XCTAssertEqual(Set(last.rewards.map { Swift.abs($0) }), [1])
        XCTAssertEqual(last.finalObservations.map(\.index), [0, 1])
        XCTAssertEqual(last.observations.floats[2] * last.observations.floats[2], 1, "the new episode's first observation shows a cue")
        try send(router, .actions(Actions(environmentCount: 2, actionSize: 1, values: [1, 7])), sequence: 20)
        guard case let (.error(actionError), 20) = try receive(router) else { return XCTFail("expected an invalid-action error") }
        XCTAssertEqual(actionError.code, .invalidAction)
        try send(router, .goodbye)
        XCTAssertTrue(worker.waitForExit(timeout: 3), "goodbye makes the worker exit")
        XCTAssertEqual(worker.exitCode, 0)
    }

    func testLearnerGoingAway_makesTheWorkerExit() throws {
        let (worker, router, context, _) = try startWorker(learnerTimeout: 1)
        defer { worker.terminate(); _ = context }
        guard case (.hello, _) = try receive(router) else { return XCTFail("expected hello") }
        // The learner says nothing more: the worker gives up after its timeout.
        let start = Date()
        XCTAssertTrue(worker.waitForExit(timeout: 5))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.8)
        XCTAssertEqual(worker.exitCode, 0)
        _ = router
    }

    func testBadEndpoint_failsFastWithTheEndpointNamed() throws {
        let result = try runProcess(try herdExecutable(), ["env-worker", "--connect", "nonsense://x"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("nonsense://x"), result.stderr)
    }

    func testSettingsJSON_roundTrip() throws {
        let settings: [String: SettingValue] = ["length": .int(5), "g": .double(9.81), "flag": .bool(true), "name": .string("a\"b"), "one": .double(1)]
        XCTAssertEqual(try SettingsJSON.decode(SettingsJSON.encode(settings)), settings)
        XCTAssertThrowsError(try SettingsJSON.decode("[1]"))
        XCTAssertThrowsError(try SettingsJSON.decode(#"{"x": [1]}"#))
    }
}
