import Foundation
import HerdRuntime
import HerdTestSupport
import XCTest

/// The inference server on a real process pool (worker processes over
/// `ipc://`), with a scripted policy standing in for a network.
final class InferenceServerTests: XCTestCase {
    /// Pushes left or right by environment id and step parity; reports its
    /// version and the environment in `behaviour`.
    final class ScriptedPolicy: InferencePolicy, @unchecked Sendable {
        let lock = NSLock()
        var calls = 0
        var _version = 0
        var version: Int { lock.withLock { _version } }
        func advance() { lock.withLock { _version += 1 } }
        var requests: [InferenceRequest] = []
        /// Holds the inference thread inside call number `pauseAt` until `resume` is signalled.
        var pauseAt = Int.max
        let paused = DispatchSemaphore(value: 0), resume = DispatchSemaphore(value: 0)

        func infer(_ request: InferenceRequest) throws -> InferenceResponse {
            let call = lock.withLock {
                calls += 1
                if requests.count < 200 { requests.append(request) }
                return calls
            }
            if call == pauseAt {
                paused.signal()
                resume.wait()
            }
            let actions = request.environmentIDs.map { Float(($0 + calls) % 2) }
            let behaviour = request.environmentIDs.flatMap { [Float($0), Float(version)] }
            return InferenceResponse(actions: actions, behaviour: behaviour)
        }
    }

    func makePool(workers: Int, perWorker: Int) throws -> ProcessPool {
        var config = PoolConfiguration(environment: "CartPole-v1", workers: workers, environmentsPerWorker: perWorker,
                                       herdExecutable: try herdExecutable())
        config.seed = 5
        config.logEvents = false
        return try ProcessPool(config)
    }

    func testUnrolls_overlap_carryBehaviour_andBackPressureHolds() throws {
        let pool = try makePool(workers: 2, perWorker: 2)
        defer { pool.close() }
        let policy = ScriptedPolicy()
        var settings = InferenceSettings(maxBatchSize: 4, fullBatchSize: 2)
        settings.unrollLength = 5
        settings.queueCapacity = 2
        let server = InferenceServer(pool: pool, policy: policy, settings: settings)
        try server.start()
        defer { try? server.stop() }

        var byEnvironment: [Int: [Unroll]] = [:]
        for _ in 0..<12 {
            guard let unroll = server.unrolls.take(timeout: 10) else { return XCTFail("no unroll: \(String(describing: server.error))") }
            XCTAssertEqual(unroll.steps.count, 6, "T + 1 steps")
            XCTAssertTrue(unroll.steps.allSatisfy { $0.behaviour[0] == Float(unroll.environment) }, "steps of another environment")
            byEnvironment[unroll.environment, default: []].append(unroll)
            policy.advance()
        }
        for (environment, unrolls) in byEnvironment where unrolls.count >= 2 {
            for (a, b) in zip(unrolls, unrolls.dropFirst()) {
                XCTAssertEqual(a.steps.last!.observation, b.steps.first!.observation, "env \(environment): the last step must open the next unroll")
                XCTAssertEqual(a.steps.last!.action, b.steps.first!.action)
                XCTAssertLessThanOrEqual(a.oldestVersion, b.oldestVersion)
            }
        }
        // Each request row's previous action is what the policy did there last.
        let requests = policy.lock.withLock { policy.requests }
        XCTAssertTrue(requests.first!.episodeStarts.allSatisfy { $0 }, "the first request follows the reset")
        XCTAssertTrue(requests.allSatisfy { $0.environmentIDs.count <= 4 && $0.environmentIDs.count >= 2 })

        // Stop taking: the queue fills to its capacity and the server waits.
        let blockedBefore = server.statistics.queueBlocked
        XCTAssertTrue(eventually(10) { server.unrolls.count == 2 && server.statistics.queueBlocked > blockedBefore },
                      "the queue fills and the server waits for room")
        XCTAssertEqual(server.unrolls.count, 2, "the queue must stay bounded")
        let stalledSteps = server.statistics.environmentSteps, blocked = server.statistics.queueBlocked
        // A blocked server retries its put every 0.1 s: after two more retries it still has not stepped on.
        XCTAssertTrue(eventually(10) { server.statistics.queueBlocked >= blocked + 2 })
        XCTAssertLessThanOrEqual(server.statistics.environmentSteps - stalledSteps, 4 * 6, "a blocked server must stop stepping")

        let stats = server.statistics
        XCTAssertGreaterThan(stats.latencyP99, 0)
        XCTAssertGreaterThanOrEqual(stats.latencyP99, stats.latencyP50)
        XCTAssertEqual(stats.discardedUnrolls, 0)
        try server.stop()
        XCTAssertNil(server.error)
    }

    func testKilledWorker_discardsItsPartialUnrolls_andServingGoesOn() throws {
        let pool = try makePool(workers: 2, perWorker: 2)
        defer { pool.close() }
        var settings = InferenceSettings(maxBatchSize: 4, fullBatchSize: 4)
        settings.unrollLength = 50
        settings.queueCapacity = 1000
        settings.batchTimeout = 5  // always full batches: a deterministic step count
        let policy = ScriptedPolicy()
        policy.pauseAt = 12  // every batch is full, so each environment has 12 steps in its 50-step unroll then
        let server = InferenceServer(pool: pool, policy: policy, settings: settings)
        try server.start()
        defer { try? server.stop() }
        // Kill worker 1 (environments 2 and 3) while the server holds its partial unrolls.
        XCTAssertEqual(policy.paused.wait(timeout: .now() + 10), .success)
        kill(pool.workerProcessIDs[1], SIGKILL)
        policy.resume.signal()
        let start = Date()
        var fresh: [Unroll] = []
        while fresh.count < 2, Date().timeIntervalSince(start) < 30 {
            guard let unroll = server.unrolls.take(timeout: 10) else { break }
            if server.statistics.discardedUnrolls > 0, unroll.environment >= 2 { fresh.append(unroll) }
        }
        let stats = server.statistics
        XCTAssertEqual(pool.workersReplaced, 1)
        XCTAssertEqual(stats.discardedUnrolls, 2, "one partial unroll per environment of the dead worker")
        XCTAssertEqual(stats.discardedSteps, 2 * 12, "the 12 steps each had when the restart was seen")
        XCTAssertEqual(fresh.count, 2, "the replaced worker's environments deliver unrolls again")
        for unroll in fresh { XCTAssertTrue(unroll.steps[0].truncated, "a fresh unroll opens with the truncation the restart reported") }
        XCTAssertNil(server.error)
    }
}
