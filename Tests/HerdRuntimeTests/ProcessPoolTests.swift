import Foundation
import HerdEnvironments
import HerdRuntime
import HerdTestSupport
import HerdTransport
import XCTest

/// Real worker processes over real ZeroMQ `ipc://` sockets.
final class ProcessPoolTests: XCTestCase {
    func pool(_ env: String = "CartPole-v1", workers: Int = 2, perWorker: Int = 3, seed: UInt64 = 7,
              stepTimeout: Double = 1.5) throws -> ProcessPool {
        var config = PoolConfiguration(environment: env, workers: workers, environmentsPerWorker: perWorker, herdExecutable: try herdExecutable())
        config.seed = seed
        config.stepTimeout = stepTimeout
        config.logEvents = false
        return try ProcessPool(config)
    }

    /// The same environments stepped in this process: environment `i` reset
    /// with `environmentSeed(runSeed: seed, index: i)`, auto-reset on episode end.
    final class Reference {
        let envs: [Environment]
        init(_ name: String, count: Int, seed: UInt64) throws {
            envs = try (0..<count).map { _ in try EnvironmentRegistry.make(name) }
            for (i, env) in envs.enumerated() { env.reset(seed: environmentSeed(runSeed: seed, index: i)) }
        }
        /// (observation, reward, terminated, truncated, final observation) of environment `i`.
        func step(_ i: Int, _ action: [Float]) throws -> ([Float], Double, Bool, Bool, [Float]?) {
            let s = try envs[i].step(action)
            guard s.terminated || s.truncated else { return (s.observation, s.reward, false, false, nil) }
            return (envs[i].reset(), s.reward, s.terminated, s.truncated, s.observation)
        }
    }

    /// A deterministic action for environment `i` at its step `t`.
    func action(_ i: Int, _ t: Int) -> Float { Float((i * 7 + t * 3 + t / 5) % 2) }

    func testSynchronousStepping_matchesInProcessStepping() throws {
        let pool = try pool()
        defer { pool.close() }
        XCTAssertEqual(pool.observationSize, 4)
        XCTAssertEqual(pool.discreteActions, 2)
        let reference = try Reference("CartPole-v1", count: 6, seed: 7)
        let first = try pool.reset()
        XCTAssertEqual(first.environmentIDs, Array(0..<6))
        for i in 0..<6 {
            let fresh = try EnvironmentRegistry.make("CartPole-v1").reset(seed: environmentSeed(runSeed: 7, index: i))
            XCTAssertEqual(Array(first.observations[(i * 4)..<(i * 4 + 4)]), fresh)
        }
        var episodesEnded = 0
        for t in 0..<120 {
            let actions = (0..<6).map { action($0, t) }
            let batch = try pool.step(actions)
            for i in 0..<6 {
                let (obs, reward, terminated, truncated, final) = try reference.step(i, [actions[i]])
                XCTAssertEqual(Array(batch.observations[(i * 4)..<(i * 4 + 4)]), obs, "env \(i) step \(t)")
                XCTAssertEqual(batch.rewards[i], reward)
                XCTAssertEqual(batch.terminated[i], terminated)
                XCTAssertEqual(batch.truncated[i], truncated)
                XCTAssertEqual(batch.finalObservations[i]?.floatValues, final)
                if final != nil { episodesEnded += 1 }
            }
        }
        XCTAssertGreaterThan(episodesEnded, 5, "the run crossed episode boundaries")
        XCTAssertEqual(pool.workersReplaced, 0)
        XCTAssertEqual(pool.badFrames, 0)
    }

    func testAsynchronousStepping_sameTrajectoriesPerEnvironment() throws {
        let pool = try pool(workers: 3, perWorker: 2)
        defer { pool.close() }
        let reference = try Reference("CartPole-v1", count: 6, seed: 7)
        _ = try pool.reset()
        var steps = [Int](repeating: 0, count: 6)
        try pool.send((0..<6).map { action($0, 0) }, environmentIDs: Array(0..<6))
        var received = 0
        while received < 6 * 40 {
            let batch = try pool.receive(batchSize: 2)
            XCTAssertGreaterThanOrEqual(batch.count, 2)
            received += batch.count
            for (row, i) in batch.environmentIDs.enumerated() {
                let (obs, reward, terminated, truncated, final) = try reference.step(i, [action(i, steps[i])])
                XCTAssertEqual(Array(batch.observations[(row * 4)..<(row * 4 + 4)]), obs, "env \(i) step \(steps[i])")
                XCTAssertEqual(batch.rewards[row], reward)
                XCTAssertEqual(batch.terminated[row], terminated)
                XCTAssertEqual(batch.truncated[row], truncated)
                XCTAssertEqual(batch.finalObservations[i]?.floatValues, final)
                steps[i] += 1
            }
            try pool.send(batch.environmentIDs.map { action($0, steps[$0]) }, environmentIDs: batch.environmentIDs)
        }
        XCTAssertThrowsError(try pool.step([Float](repeating: 0, count: 6)), "sync step while async steps are in flight")
        XCTAssertThrowsError(try pool.send([0], environmentIDs: [0])) { error in
            XCTAssertTrue("\(error)".contains("whole workers"), "\(error)")
        }
    }

    /// The inference loop's receive: a full batch when enough is ready, a
    /// partial one at the deadline when too few environments are stepping
    /// (where SEED's learner would wait forever), never more than the maximum.
    func testReceiveReady_partialBatchAtDeadline_andMaximumBatch() throws {
        let pool = try pool(workers: 3, perWorker: 2)
        defer { pool.close() }
        _ = try pool.reset()
        XCTAssertThrowsError(try pool.receiveReady(maxBatchSize: 6, fullBatchSize: 6, timeout: 0.01), "nothing in flight")

        // Only workers 0 and 1 step: a full batch of 6 never comes.
        try pool.send([0, 1, 0, 1], environmentIDs: [0, 1, 2, 3])
        let start = Date()
        let partial = try pool.receiveReady(maxBatchSize: 6, fullBatchSize: 6, timeout: 0.05)
        let waited = Date().timeIntervalSince(start)
        XCTAssertEqual(Set(partial.environmentIDs), [0, 1, 2, 3])
        XCTAssertGreaterThanOrEqual(waited, 0.045, "returned before the deadline without a full batch")
        XCTAssertLessThan(waited, 1.0, "the deadline must bound the wait")

        // Everyone steps; at most 4 environments (two whole workers) per batch.
        try pool.send([Float](repeating: 1, count: 6), environmentIDs: Array(0..<6))
        let first = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 6, timeout: 5)
        XCTAssertEqual(first.count, 4)
        let rest = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 1, timeout: 5)
        XCTAssertEqual(rest.count, 2)
        XCTAssertEqual(Set(first.environmentIDs + rest.environmentIDs), Set(0..<6))
        // A maximum below one worker's environments still returns that worker.
        try pool.send([0, 0], environmentIDs: [4, 5])
        XCTAssertEqual(try pool.receiveReady(maxBatchSize: 1, fullBatchSize: 1, timeout: 5).environmentIDs, [4, 5])
    }

    func testKillDashNine_isSurvived_interruptedEpisodesTruncated() throws {
        let pool = try pool(perWorker: 2)
        defer { pool.close() }
        _ = try pool.reset()
        let before = try pool.step([1, 0, 1, 0])
        let victim = pool.workerProcessIDs[1]
        kill(victim, SIGKILL)
        let batch = try pool.step([1, 0, 1, 0])  // how fast: TimingTests
        XCTAssertEqual(pool.workersReplaced, 1)
        XCTAssertEqual(Array(batch.truncated[2...3]), [true, true], "the dead worker's episodes end truncated")
        XCTAssertEqual(Array(batch.truncated[0...1]), [false, false])
        XCTAssertEqual(batch.restartedEnvironments, [2, 3], "the replaced worker's environments are named once")
        XCTAssertEqual(try pool.step([1, 0, 1, 0]).restartedEnvironments, [])
        XCTAssertEqual(batch.finalObservations[2]?.floatValues, Array(before.observations[8..<12]), "the final observation is the last one handed out")
        XCTAssertEqual(batch.finalObservations[3]?.floatValues, Array(before.observations[12..<16]))
        XCTAssertNotEqual(pool.workerProcessIDs[1], victim)
        // The pool goes on normally.
        for _ in 0..<20 { XCTAssertEqual(try pool.step([1, 0, 1, 0]).count, 4) }
        XCTAssertEqual(pool.workersReplaced, 1)
    }

    func testStoppedWorker_isKilledAndReplaced() throws {
        let pool = try pool(perWorker: 2, stepTimeout: 1.0)
        defer { pool.close() }
        _ = try pool.reset()
        kill(pool.workerProcessIDs[0], SIGSTOP)
        let batch = try pool.step([1, 1, 1, 1])  // how fast: TimingTests
        XCTAssertEqual(pool.workersReplaced, 1)
        XCTAssertEqual(Array(batch.truncated[0...1]), [true, true])
        XCTAssertEqual(try pool.step([1, 1, 1, 1]).count, 4)
    }

    /// A worker dies after it has answered, while the pool still waits for
    /// another (stopped) worker, in synchronous and in asynchronous stepping.
    /// Must hold: the call returns with the dead worker's real results (the
    /// replacement used to discard them, and the call then waited forever
    /// for results no worker owed it); its episodes are reported truncated
    /// at its next step, with the observations just handed out as final ones.
    func testWorkerDyingWhileIdle_nextStepReportsTruncation() throws {
        let pool = try pool(perWorker: 2)
        defer { pool.close() }
        _ = try pool.reset()
        kill(pool.workerProcessIDs[0], SIGKILL)
        XCTAssertTrue(eventually(10) { pool.workersReplaced == 1 }, "the heartbeat thread notices and replaces it")
        let batch = try pool.step([0, 0, 0, 0])
        XCTAssertEqual(batch.truncated, [true, true, false, false])
    }

    func testInvalidActions_andBadEnvironment_areClearErrors() throws {
        let pool = try pool(perWorker: 2)
        defer { pool.close() }
        _ = try pool.reset()
        XCTAssertThrowsError(try pool.step([0, 5, 0, 0])) { error in
            XCTAssertEqual("\(error)", "CartPole-v1: action [5.0] is not in the action space Discrete(2)")
        }
        XCTAssertThrowsError(try pool.step([0, 0.5, 0, 0]))
        XCTAssertEqual(try pool.step([0, 1, 0, 1]).count, 4, "the pool goes on after a rejected batch")
        var config = PoolConfiguration(environment: "NoSuchEnv-v0", workers: 1, environmentsPerWorker: 1, herdExecutable: try herdExecutable())
        config.logEvents = false
        XCTAssertThrowsError(try ProcessPool(config)) { error in
            XCTAssertTrue("\(error)".contains("unknown environment 'NoSuchEnv-v0'"), "\(error)")
        }
    }

    /// A worker program that exits at once is a clear error, not an endless
    /// cycle of replacements.
    func testWorkerDyingAtStartup_isAClearError() throws {
        var config = PoolConfiguration(environment: "CartPole-v1", workers: 2, environmentsPerWorker: 1, herdExecutable: "/bin/false")
        config.logEvents = false
        XCTAssertThrowsError(try ProcessPool(config)) { error in
            XCTAssertTrue("\(error)".contains("exited during startup"), "\(error)")
        }
    }

    func testGarbageFromARoguePeer_isDroppedAndCounted() throws {
        let pool = try pool(perWorker: 1)
        defer { pool.close() }
        _ = try pool.reset()
        let context = ZMQContext()
        let rogue = try ZMQSocket(context, .dealer)
        try rogue.setRoutingID(Array("w0.0".utf8))  // even impersonating a worker's identity is rejected by content
        try rogue.connect(pool.endpoint)
        var rng = RandomGenerator(seed: 5)
        for _ in 0..<50 {
            let bytes = (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            try rogue.send([bytes])
        }
        try rogue.send([[UInt8]("HERD".utf8) + [1, 0, 99, 0] + [UInt8](repeating: 0, count: 8)])
        let other = try ZMQSocket(context, .dealer)
        try other.connect(pool.endpoint)
        try other.send([[1, 2, 3]])
        XCTAssertTrue(eventually(10) { pool.badFrames > 0 }, "the heartbeat thread drops the bad frames (the impersonator's connection is refused by ZeroMQ: its routing id is taken)")
        XCTAssertEqual(try pool.step([1, 0]).count, 2, "the pool keeps working")
    }

    /// Remote places: workers that connect over TCP take a free place, are
    /// refused when they offer too little or are unknown, and a vanished one
    /// frees its place and names its environments once.
    func testRemotePlaces_joinOverTCP_refusals_andAVanishedWorker() throws {
        let endpoint = "tcp://127.0.0.1:\(freeTCPPort())"
        var config = PoolConfiguration(environment: "CartPole-v1", workers: 1, environmentsPerWorker: 2, herdExecutable: try herdExecutable())
        config.listen = endpoint
        config.remoteWorkers = 1
        config.remoteTimeout = 1
        config.logEvents = false
        let pool = try ProcessPool(config)
        defer { pool.close() }
        XCTAssertEqual(pool.environmentCount, 4)
        let first = try pool.reset()
        XCTAssertEqual(first.environmentIDs, [0, 1], "only the local worker is there yet")
        XCTAssertThrowsError(try pool.step([0, 0, 0, 0]), "remote places step asynchronously only")

        var seen: [Batch] = []
        func drive(_ seconds: Double) throws {
            try pool.send([Float](repeating: 0, count: 2), environmentIDs: [0, 1])
            let until = Date().addingTimeInterval(seconds)
            while Date() < until {
                let batch = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 4, timeout: 0.01)
                seen.append(batch)
                if batch.count > 0 { try pool.send([Float](repeating: 0, count: batch.count), environmentIDs: batch.environmentIDs) }
            }
            // Let what is in flight come back, so the next drive starts idle.
            while pool.workerProcessIDs.count > 0 {
                let batch = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 4, timeout: 0.2)
                seen.append(batch)
                if batch.environmentIDs.contains(0) { break }
            }
        }
        func replies(_ socket: ZMQSocket) throws -> [WireMessage] {
            var out: [WireMessage] = []
            while let frames = try socket.receive(timeoutMilliseconds: 200) {
                guard let message = try? WireCodec.decode(frames[0].byteArray).message else {
                    XCTFail("a frame that is not protocol v1: \(frames.map { Array($0.data.prefix(24)) })")
                    continue
                }
                out.append(message)
            }
            return out
        }

        let context = ZMQContext()
        let small = try ZMQSocket(context, .dealer)
        try small.connect(endpoint)
        try small.send([WireCodec.encode(.hello(Hello(capacity: 1, pid: 1, label: "small")), sequence: 0)])
        let stranger = try ZMQSocket(context, .dealer)
        try stranger.connect(endpoint)
        try stranger.send([WireCodec.encode(.heartbeat, sequence: 0)])
        try drive(0.5)
        for (socket, reason) in [(small, "offers 1"), (stranger, "does not know")] {
            let messages = try replies(socket)
            guard messages.count == 2, case let .error(error) = messages[0], messages[1] == .goodbye else {
                return XCTFail("expected error then goodbye, got \(messages)")
            }
            XCTAssertEqual(error.code, .refused)
            XCTAssertTrue(error.message.contains(reason), error.message)
        }
        XCTAssertEqual(pool.remoteRefused, 1)

        // A real worker joins over TCP; its environments arrive as fresh starts.
        let worker = try ChildProcess(executable: try herdExecutable(), arguments: ["env-worker", "--connect", endpoint, "--capacity", "2"])
        defer { worker.terminate() }
        seen.removeAll()
        try drive(1.5)
        XCTAssertEqual(pool.remoteJoined, 1)
        let arrival = try XCTUnwrap(seen.first { $0.environmentIDs.contains(2) })
        XCTAssertEqual(arrival.restartedEnvironments, [2, 3])
        XCTAssertGreaterThan(seen.filter { $0.environmentIDs.contains(3) }.count, 3, "the remote environments keep stepping")

        // kill -9: after the remote timeout the place is free and 2, 3 are named once, without rows.
        worker.send(SIGKILL)
        seen.removeAll()
        try drive(2.5)
        XCTAssertEqual(pool.remoteLost, 1)
        let lost = seen.filter { $0.restartedEnvironments == [2, 3] }
        XCTAssertEqual(lost.count, 1)
        XCTAssertFalse(lost[0].environmentIDs.contains(2))
        XCTAssertTrue(seen.last { $0.count > 0 }.map { $0.environmentIDs == [0, 1] } ?? false, "the local worker goes on alone")
    }
}
