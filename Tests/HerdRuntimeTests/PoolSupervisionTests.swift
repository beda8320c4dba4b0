import Foundation
@testable import HerdRuntime
import HerdTestSupport
import HerdTransport
import XCTest

/// The pool's supervision, limits, refusals, heartbeats, partial batches
/// and replacements, in process: a loopback transport, fake workers and a
/// fake clock (no process, no sleep). The same behaviour with real
/// processes and sockets is in ProcessPoolTests and FleetSecurityTests.
final class PoolSupervisionTests: XCTestCase {
    var transport: LoopbackTransport!
    var launcher: FakeLauncher!

    func makePool(workers: Int = 2, envs: Int = 2, remote: Int = 0,
                  _ configure: (inout PoolConfiguration) -> Void = { _ in }) throws -> ProcessPool {
        transport = LoopbackTransport()
        launcher = FakeLauncher(transport: transport)
        var configuration = PoolConfiguration(environment: "Fake-v0", workers: workers, environmentsPerWorker: envs,
                                              herdExecutable: "/nonexistent/herd")
        configuration.logEvents = false
        configuration.spinMicroseconds = 0  // HERD_POOL_SPIN_US would spin on the fake clock, which only a wait moves
        if remote > 0 {
            configuration.listen = "tcp://127.0.0.1:1"
            configuration.remoteWorkers = remote
        }
        configure(&configuration)
        return try ProcessPool(configuration, transport: transport, launcher: launcher, clock: transport.clock, heartbeats: false)
    }

    /// A remote worker that joins with `identity` and is ready (its first
    /// results waiting in the pool).
    @discardableResult
    func join(_ pool: ProcessPool, _ identity: String, capacity: UInt32 = 1024) -> FakeWorker {
        let worker = FakeWorker(identity: Array(identity.utf8), pid: 9, capacity: capacity)
        worker.start(on: transport, label: identity)
        _ = pool.heartbeatTick()
        return worker
    }

    func testSyncSteps_returnEveryEnvironmentInIdOrder() throws {
        let pool = try makePool()
        XCTAssertEqual(pool.observationSize, 2)
        XCTAssertEqual(pool.discreteActions, 2)
        let first = try pool.reset()
        XCTAssertEqual(first.environmentIDs, [0, 1, 2, 3])
        XCTAssertEqual(first.observations, [0, 0, 1, 0, 2, 0, 3, 0])
        let next = try pool.step([0, 1, 0, 1])
        XCTAssertEqual(next.observations, [0, 1, 1, 1, 2, 1, 3, 1])
        XCTAssertEqual(next.rewards, [1, 1, 1, 1])
        XCTAssertEqual(next.restartedEnvironments, [])
        XCTAssertEqual(launcher.workers.count, 2)
        XCTAssertThrowsError(try pool.step([0, 1, 0, 7]), "a discrete action out of range moves no worker")
    }

    /// kill -9 while a step is in flight (the send fails) and while idle
    /// (supervision notices): both are replaced, and their episodes end
    /// truncated with the last observation the pool saw as final.
    func testDeadWorkers_areReplaced_andTheirEpisodesEndTruncatedAtTheLastObservationSeen() throws {
        let pool = try makePool()
        _ = try pool.reset()
        _ = try pool.step([0, 0, 0, 0])
        launcher.workers[0].die()
        let cut = try pool.step([0, 0, 0, 0])
        XCTAssertEqual(pool.workersReplaced, 1)
        XCTAssertEqual(cut.restartedEnvironments, [0, 1])
        XCTAssertEqual(cut.truncated, [true, true, false, false])
        XCTAssertEqual(cut.finalObservations[0], [0, 1], "the last observation seen ends the episode")
        XCTAssertEqual(cut.finalObservations[1], [1, 1])
        XCTAssertEqual(Array(cut.observations[0..<4]), [0, 0, 1, 0], "the new episodes' first observations")
        XCTAssertEqual(launcher.running.count, 2)

        launcher.workers[1].die()
        _ = pool.heartbeatTick()
        XCTAssertEqual(pool.workersReplaced, 2, "supervision replaced the idle worker")
        let idleCut = try pool.step([0, 0, 0, 0])
        XCTAssertEqual(idleCut.restartedEnvironments, [2, 3])
        XCTAssertEqual(idleCut.truncated, [false, false, true, true])
        XCTAssertEqual(idleCut.finalObservations[2], [2, 2])
        let after = try pool.step([0, 0, 0, 0])
        XCTAssertEqual(after.restartedEnvironments, [])
        XCTAssertEqual(after.truncated, [false, false, false, false])
    }

    /// A worker that stops answering (SIGSTOP, a hang) is killed once a
    /// step has waited `stepTimeout` on the clock, and replaced.
    func testHungWorker_isKilledAfterTheStepTimeout_andReplaced() throws {
        let pool = try makePool { $0.stepTimeout = 1.5 }
        _ = try pool.reset()
        let hung = launcher.workers[1]
        hung.hang = true
        let start = transport.clock.now()
        let batch = try pool.step([0, 0, 0, 0])
        let waited = transport.clock.now() - start
        XCTAssertGreaterThanOrEqual(waited, 1.5)
        XCTAssertLessThan(waited, 1.6)
        XCTAssertFalse(hung.isRunning, "the hung worker was killed")
        XCTAssertEqual(pool.workersReplaced, 1)
        XCTAssertEqual(batch.truncated, [false, false, true, true])
        XCTAssertEqual(batch.restartedEnvironments, [2, 3])
    }

    /// A reset resets every environment of a worker at once (16 Atari games
    /// with no-op starts take about 2 s): it may take `startTimeout`, and
    /// only a reset that takes longer is a hang.
    func testSlowReset_isNotAHang_aHungOneIsReplacedAfterTheStartTimeout() throws {
        let pool = try makePool { $0.stepTimeout = 1.5; $0.startTimeout = 5 }
        _ = try pool.reset()
        launcher.workers[0].delay = 2
        _ = try pool.reset()
        XCTAssertEqual(pool.workersReplaced, 0, "a 2 s reset is slow, not hung")
        launcher.workers[0].delay = 0
        launcher.workers[1].hang = true
        let start = transport.clock.now()
        let batch = try pool.reset()
        XCTAssertGreaterThanOrEqual(transport.clock.now() - start, 5)
        XCTAssertEqual(pool.workersReplaced, 1)
        XCTAssertEqual(batch.environmentIDs, [0, 1, 2, 3])
    }

    /// A worker that answered and then died while the pool still waits on a
    /// stopped one: its delivered results stay waiting and the call returns
    /// (it used to hang a synchronous run), in sync and async stepping.
    /// Each restart is named with its truncation.
    func testWorkerDyingAfterItAnswered_whileAnotherIsStopped_callReturnsItsResults() throws {
        for asynchronous in [false, true] {
            let pool = try makePool { $0.stepTimeout = 3 }
            _ = try pool.reset()
            func stepEvery(_ actions: [Float], environmentIDs: [Int]) throws -> Batch {
                guard asynchronous else { return try pool.step(actions) }
                try pool.send(actions, environmentIDs: environmentIDs)
                return try pool.receive(batchSize: 4)
            }
            let handedOut = try stepEvery([0, 0, 0, 0], environmentIDs: [0, 1, 2, 3])
            launcher.workers[1].hang = true
            launcher.workers[0].dieAt = transport.clock.now() + 1
            let batch = try stepEvery([1, 0, 1, 0], environmentIDs: handedOut.environmentIDs)
            XCTAssertEqual(pool.workersReplaced, 2, "asynchronous: \(asynchronous)")
            let truncated = Dictionary(uniqueKeysWithValues: zip(batch.environmentIDs, batch.truncated))
            XCTAssertEqual([0, 1, 2, 3].map { truncated[$0] }, [false, false, true, true], "asynchronous: \(asynchronous)")
            XCTAssertEqual(batch.restartedEnvironments, [2, 3], "each restart is named with its truncation")
            let rows = Dictionary(uniqueKeysWithValues: batch.environmentIDs.enumerated().map { ($1, Array(batch.observations[($0 * 2)..<($0 * 2 + 2)])) })
            let next = try stepEvery([0, 0, 0, 0], environmentIDs: batch.environmentIDs)
            let nextTruncated = Dictionary(uniqueKeysWithValues: zip(next.environmentIDs, next.truncated))
            XCTAssertEqual([0, 1, 2, 3].map { nextTruncated[$0] }, [true, true, false, false], "asynchronous: \(asynchronous)")
            XCTAssertEqual(next.restartedEnvironments, [0, 1])
            XCTAssertEqual(next.finalObservations[0]?.floatValues, rows[0], "the dead worker's delivered step ends its episodes")
            XCTAssertEqual(next.finalObservations[1]?.floatValues, rows[1])
        }
    }

    /// While the pool waits on one worker, idle ones get heartbeats at the
    /// configured interval, and a slow (not hung) worker is not replaced.
    func testIdleWorkers_getHeartbeatsWhileThePoolWaits() throws {
        let pool = try makePool { $0.heartbeatInterval = 0.25; $0.stepTimeout = 1.5 }
        _ = try pool.reset()
        let slow = launcher.workers[0], idle = launcher.workers[1]
        slow.delay = 1.0
        try pool.send([0, 0], environmentIDs: [0, 1])
        let batch = try pool.receive(batchSize: 2)
        XCTAssertEqual(batch.environmentIDs, [0, 1])
        XCTAssertGreaterThanOrEqual(idle.heartbeats, 3, "about four intervals passed")
        XCTAssertLessThanOrEqual(idle.heartbeats, 5)
        XCTAssertEqual(pool.workersReplaced, 0)
    }

    /// receiveReady gives what is ready at its deadline instead of waiting
    /// for a full batch (SEED RL would stall).
    func testReceiveReady_returnsAPartialBatchAtTheDeadline() throws {
        let pool = try makePool()
        _ = try pool.reset()
        launcher.workers[1].delay = 1.0
        try pool.send([0, 0, 0, 0], environmentIDs: [0, 1, 2, 3])
        let start = transport.clock.now()
        let partial = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 4, timeout: 0.05)
        XCTAssertEqual(partial.environmentIDs, [0, 1])
        XCTAssertLessThan(transport.clock.now() - start, 0.2)
        let rest = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 4, timeout: 0.05)
        XCTAssertEqual(rest.environmentIDs, [2, 3])
    }

    // MARK: Remote places

    func testRemoteWorker_joins_isAssignedAPlace_andItsFirstObservationsArrive() throws {
        let pool = try makePool(workers: 1, remote: 2)
        let remote = join(pool, "remote-a")
        XCTAssertEqual(pool.remoteJoined, 1)
        XCTAssertEqual(remote.assigned?.firstEnvironmentID, 2)
        let batch = try pool.receiveReady(maxBatchSize: 6, fullBatchSize: 2, timeout: 0.01)
        XCTAssertEqual(batch.environmentIDs, [2, 3])
        XCTAssertEqual(batch.restartedEnvironments, [2, 3], "a newcomer's environments start afresh")
    }

    func testRemoteHello_whenEveryPlaceIsTaken_orWithTooLittleCapacity_isRefused() throws {
        let pool = try makePool(workers: 1, remote: 1)
        join(pool, "first")
        let late = join(pool, "second")
        XCTAssertEqual(transport.messages(to: late.identity).map(\.kind), [.error, .goodbye])
        if case let .error(error) = transport.messages(to: late.identity).first { XCTAssertEqual(error.code, .refused) }
        XCTAssertEqual(pool.remoteRefused, 1)

        let small = try makePool(workers: 1, remote: 1)
        let weak = join(small, "weak", capacity: 1)
        XCTAssertEqual(transport.messages(to: weak.identity).map(\.kind), [.error, .goodbye])
        XCTAssertEqual(small.remoteRefused, 1)
        XCTAssertEqual(small.remoteJoined, 0)
    }

    /// A frame over the size limit, and too many messages out of turn: the
    /// peer is told (error 6), said goodbye to, loses its place, and what
    /// it sends afterwards is dropped and counted.
    func testRemoteLimits_oversizedFrame_andMessagesOutOfTurn_disconnectThePeer() throws {
        let pool = try makePool(workers: 1, remote: 2) {
            $0.limits.maxMessageBytes = 4096
            $0.maxPendingMessages = 3
        }
        let big = join(pool, "big")
        let huge = Results(environmentCount: 2, observationSize: 1000, observations: [Float](repeating: 0, count: 2000),
                           rewards: [0, 0], terminated: [false, false], truncated: [false, false], finalObservations: [])
        transport.deliver(.results(huge), sequence: 1, from: big.identity)
        _ = pool.heartbeatTick()
        XCTAssertEqual(transport.messages(to: big.identity).suffix(2).map(\.kind), [.error, .goodbye])
        if case let .error(error) = transport.messages(to: big.identity).suffix(2).first { XCTAssertEqual(error.code, .limitExceeded) }
        XCTAssertEqual(pool.peersOverLimit, 1)
        XCTAssertEqual(pool.remoteLost, 1)
        let dropped = pool.badFrames
        transport.deliver(.heartbeat, from: big.identity)
        _ = pool.heartbeatTick()
        XCTAssertEqual(pool.badFrames, dropped + 1, "a banned peer's frames are dropped and counted")

        let chatty = join(pool, "chatty")
        let ready = Ready(environmentCount: 2, observationSize: 2, actionSize: 1, actionKind: 0, discreteActions: 2, observationShape: [2])
        for _ in 0..<4 { transport.deliver(.ready(ready), from: chatty.identity) }
        _ = pool.heartbeatTick()
        XCTAssertEqual(transport.messages(to: chatty.identity).suffix(2).map(\.kind), [.error, .goodbye])
        XCTAssertEqual(pool.peersOverLimit, 2)
    }

    /// A remote worker silent past `remoteTimeout` loses its place; its
    /// environments are named in the next batch so their state is dropped.
    func testSilentRemoteWorker_isVacated_andItsEnvironmentsAreNamedInTheNextBatch() throws {
        let pool = try makePool(workers: 1, remote: 1) { $0.remoteTimeout = 5 }
        join(pool, "quiet")
        _ = try pool.reset()
        _ = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 2, timeout: 0.01)
        transport.clock.advance(6)
        _ = pool.heartbeatTick()
        XCTAssertEqual(pool.remoteLost, 1)
        let batch = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 2, timeout: 0.01)
        XCTAssertTrue(batch.restartedEnvironments.isSuperset(of: [2, 3]), "\(batch.restartedEnvironments)")
    }
    // MARK: Errors from workers (events, never the end of the run)

    /// A local worker answering `actions` with `error` is counted and
    /// replaced; its environments' episodes end truncated, and the step
    /// returns every environment. Errors from the replacements too — three
    /// failures each within 100 steps of the one before — stop the pool with
    /// the worker's words (replacing again would only repeat them).
    func testLocalWorkerError_isCountedAndReplaced_repeatedErrorsStopThePool() throws {
        let pool = try makePool()
        _ = try pool.reset()
        launcher.workers[0].errorOnActions = WireError(code: .invalidAction, message: "no such move")
        let cut = try pool.step([0, 0, 0, 0])
        XCTAssertEqual(pool.workerErrors, 1)
        XCTAssertEqual(pool.workersReplaced, 1)
        XCTAssertEqual(cut.environmentIDs, [0, 1, 2, 3])
        XCTAssertEqual(cut.truncated, [true, true, false, false])
        XCTAssertEqual(cut.restartedEnvironments, [0, 1])
        XCTAssertEqual(try pool.step([0, 0, 0, 0]).count, 4, "the replacement steps")

        launcher.configure = { $0.errorOnActions = WireError(code: .internalError, message: "disk on fire\n\u{1b}[31mFAKE") }
        launcher.workers.last!.errorOnActions = WireError(code: .internalError, message: "disk on fire\n\u{1b}[31mFAKE")
        XCTAssertThrowsError(try { for _ in 0..<5 { _ = try pool.step([0, 0, 0, 0]) } }()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("disk on fire\\u{a}\\u{1b}[31mFAKE"), "escaped: \(text)")
            XCTAssertTrue(text.contains("failure 3 of this worker place"), text)
        }
        XCTAssertEqual(pool.workerErrors, 3, "one step between the first and second error does not forgive the first")
    }

    /// A worker place whose process dies again and again, each time within
    /// 100 steps of the last, stops the pool (counted once, whichever thread
    /// notices); deaths further apart are forgiven.
    func testWorkerDyingAgainAndAgain_stopsThePool_deathsFarApartAreForgiven() throws {
        let pool = try makePool()
        _ = try pool.reset()
        for _ in 0..<2 {
            launcher.running.first { $0.identity.starts(with: Array("w0.".utf8)) }!.die()
            for _ in 0..<101 { _ = try pool.step([0, 0, 0, 0]) }
        }
        XCTAssertEqual(pool.workersReplaced, 2, "two deaths 101 steps apart: both replaced")
        for _ in 0..<2 {
            launcher.running.first { $0.identity.starts(with: Array("w0.".utf8)) }!.die()
            _ = try pool.step([0, 0, 0, 0])
        }
        launcher.running.first { $0.identity.starts(with: Array("w0.".utf8)) }!.die()
        _ = pool.heartbeatTick()  // noticed on the heartbeat thread: kept for the caller
        _ = pool.heartbeatTick()
        XCTAssertThrowsError(try pool.step([0, 0, 0, 0])) { error in
            XCTAssertTrue("\(error)".contains("failure 3 of this worker place"), "\(error)")
        }
    }

    /// A local worker that cannot build its environments (`error` in reply
    /// to `assign`) stops the pool at once with its message.
    func testLocalWorkerErrorAtStart_isAClearError() throws {
        transport = LoopbackTransport()
        launcher = FakeLauncher(transport: transport)
        launcher.configure = { $0.errorOnAssign = WireError(code: .buildFailed, message: "unknown environment 'Nope-v0'") }
        var configuration = PoolConfiguration(environment: "Nope-v0", workers: 1, environmentsPerWorker: 1, herdExecutable: "/nonexistent/herd")
        configuration.logEvents = false
        XCTAssertThrowsError(try ProcessPool(configuration, transport: transport, launcher: launcher, clock: transport.clock,
                                             heartbeats: false)) { error in
            XCTAssertTrue("\(error)".contains("unknown environment 'Nope-v0'"), "\(error)")
        }
    }

    /// A remote worker's `error`, in reply to `assign` or to `actions`,
    /// frees its place; the run goes on with the others.
    func testRemoteWorkerError_freesItsPlace_andThePoolGoesOn() throws {
        let pool = try makePool(workers: 1, remote: 2)
        let bad = FakeWorker(identity: Array("bad".utf8), pid: 9)
        bad.errorOnAssign = WireError(code: .buildFailed, message: "cannot build")
        bad.start(on: transport, label: "bad")
        _ = pool.heartbeatTick()
        XCTAssertEqual(pool.workerErrors, 1)
        XCTAssertEqual(pool.remoteLost, 0, "it never served")

        let flaky = join(pool, "flaky")
        XCTAssertEqual(flaky.assigned?.firstEnvironmentID, 2, "the place the first one left")
        var seen = Set<Int>()
        for round in 0..<4 {
            let batch = try pool.receiveReady(maxBatchSize: 6, fullBatchSize: 2, timeout: 0.01)
            if round > 0 { seen.formUnion(batch.restartedEnvironments) }
            try pool.send([Float](repeating: 0, count: batch.count), environmentIDs: batch.environmentIDs)
            if round == 0 { flaky.errorOnActions = WireError(code: .invalidAction, message: "out of range") }
        }
        XCTAssertEqual(pool.workerErrors, 2)
        XCTAssertEqual(pool.remoteLost, 1)
        XCTAssertTrue(seen.isSuperset(of: [2, 3]), "the lost worker's environments are named: \(seen)")
        XCTAssertEqual(transport.messages(to: flaky.identity).last?.kind, .goodbye)
    }
    // MARK: Values that are not numbers

    /// Results whose values cannot be trusted — a NaN or infinite reward, a
    /// finite f64 beyond f32's range (1e39), a NaN observation — are bad
    /// frames: dropped, counted, and the worker replaced with its episodes
    /// truncated, so no such value reaches a batch. A remote worker loses
    /// its place.
    func testNonFiniteAndOutOfRangeValues_areBadFrames_theWorkerIsReplaced() throws {
        for (index, poison) in [(Double.nan, nil), (.infinity, nil), (1e39, nil), (1, Float.nan), (1, -Float.infinity)].enumerated() {
            let pool = try makePool()
            _ = try pool.reset()
            launcher.workers[0].stepReward = poison.0
            launcher.workers[0].stepObservation = poison.1
            let batch = try pool.step([0, 0, 0, 0])
            XCTAssertEqual(pool.badFrames, 1, "case \(index)")
            XCTAssertEqual(pool.workersReplaced, 1, "case \(index)")
            XCTAssertEqual(batch.truncated, [true, true, false, false], "case \(index)")
            XCTAssertTrue(batch.rewards.allSatisfy(\.isFinite) && batch.observations.floatValues.allSatisfy(\.isFinite), "case \(index)")
            XCTAssertEqual(try pool.step([0, 0, 0, 0]).rewards, [1, 1, 1, 1], "the replacement steps")
        }
        let pool = try makePool(workers: 1, remote: 1)
        let remote = join(pool, "nan")
        var lost = false
        for round in 0..<4 where !lost {
            let batch = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 2, timeout: 0.01)
            XCTAssertTrue(batch.observations.floatValues.allSatisfy(\.isFinite))
            try pool.send([Float](repeating: 0, count: batch.count), environmentIDs: batch.environmentIDs)
            if round == 0 { remote.stepObservation = .nan }
            lost = pool.remoteLost == 1
        }
        XCTAssertTrue(lost, "the remote worker lost its place")
        XCTAssertEqual(pool.badFrames, 1)
    }
    /// A worker may declare at ready the box its observations lie in: ones
    /// within it are used, one outside it is a bad frame and the worker is
    /// sent away, as for NaN.
    func testObservationsOutsideTheBoundsDeclaredAtReady_areBadFrames() throws {
        let pool = try makePool(workers: 1, remote: 1)
        let bounded = FakeWorker(identity: Array("bounded".utf8), pid: 9)
        bounded.observationBounds = ObservationBounds(low: [0, 0], high: [10, 1000])
        transport.sources[bounded.identity] = "address 10.0.0.9"
        bounded.start(on: transport, label: "bounded")
        _ = pool.heartbeatTick()
        var lost = false, used = 0
        for round in 0..<8 where !lost {
            let batch = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 2, timeout: 0.01)
            if batch.environmentIDs.contains(2) { used += 1 }
            XCTAssertTrue(batch.observations.floatValues.allSatisfy { $0 <= 10 }, "round \(round)")
            try pool.send([Float](repeating: 0, count: batch.count), environmentIDs: batch.environmentIDs)
            if round == 3 { bounded.stepObservation = 50 }
            lost = pool.remoteLost == 1
        }
        XCTAssertGreaterThanOrEqual(used, 3, "observations within the bounds are used")
        XCTAssertTrue(lost, "the worker was sent away")
        XCTAssertEqual(pool.badFrames, 1)
    }

    /// A remote worker whose environments differ from the others' in their
    /// action count is refused at `ready` (its actions would be read wrong).
    func testRemoteWorker_withOtherActions_isRefusedAtReady() throws {
        let pool = try makePool(workers: 1, remote: 1)
        let odd = FakeWorker(identity: Array("odd".utf8), pid: 9)
        odd.discreteActions = 3
        odd.start(on: transport, label: "odd")
        _ = pool.heartbeatTick()
        XCTAssertEqual(transport.messages(to: odd.identity).suffix(2).map(\.kind), [.error, .goodbye])
        if case let .error(error) = transport.messages(to: odd.identity).suffix(2).first {
            XCTAssertTrue(error.message.contains("3 discrete actions; others 2 discrete actions"), error.message)
        }
    }

    // MARK: Log lines

    /// Peer-supplied text cannot forge or break log lines: a label with a
    /// newline and ANSI escapes, and an error message with a NUL, are
    /// escaped; a binary routing id is printed in hex; no line shows a Swift
    /// debug description.
    func testLogLines_escapePeerText_printBinaryIdsInHex() throws {
        let pool = try makePool(workers: 1, remote: 1)
        var lines: [String] = []
        pool.logSink = { lines.append($0) }
        let evil = FakeWorker(identity: [0, 1, 0xFF, 0x0A], pid: 9)
        evil.start(on: transport, label: "host:1\nherd pool: FORGED\u{1b}[2J")
        _ = pool.heartbeatTick()
        _ = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 4, timeout: 0.01)
        evil.errorOnActions = WireError(code: .internalError, message: "bad\u{0}news")
        try pool.send([0, 0, 0, 0], environmentIDs: [0, 1, 2, 3])
        _ = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 2, timeout: 0.01)
        transport.deliverRaw([[0xAB, 0x00, 0xCD], [1, 2, 3]])
        _ = pool.heartbeatTick()
        XCTAssertFalse(lines.isEmpty)
        for line in lines {
            XCTAssertFalse(line.unicodeScalars.contains { $0.properties.generalCategory == .control }, "a control character: \(line.debugDescription)")
            XCTAssertFalse(line.contains("awaiting(") || line.contains("Optional("), "a debug description: \(line)")
        }
        XCTAssertTrue(lines.contains { $0.contains("host:1\\u{a}herd pool: FORGED\\u{1b}[2J") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("bad\\u{0}news") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.contains("peer 0xab00cd") }, "\(lines)")
    }

    // MARK: Admission control

    /// A remote worker from `source` that joins and is ready, and, unless
    /// `silent`, answers at once (a silent one never answers its reset).
    @discardableResult
    func join(_ pool: ProcessPool, _ identity: String, from source: String, silent: Bool = false) -> FakeWorker {
        let worker = FakeWorker(identity: Array(identity.utf8), pid: 9)
        worker.hang = silent
        transport.sources[worker.identity] = source
        worker.start(on: transport, label: identity)
        _ = pool.heartbeatTick()
        return worker
    }

    func refusal(_ worker: FakeWorker) -> String? {
        for case let .error(error) in transport.messages(to: worker.identity) where error.code == .refused { return error.message }
        return nil
    }

    /// Peers that join, say ready and go silent, again and again: each
    /// place they leave before serving is a strike against their source,
    /// which then waits 0.5 s, 1 s, 2 s, … before it may take a place again
    /// (refused with `error` 5 saying how long). Another source is not
    /// affected, and no batch waits for a place whose worker never answered.
    func testJoinAndGoSilentPeers_areBackedOffEverLonger_aGoodWorkerIsNotSlowed() throws {
        let pool = try makePool(workers: 1, remote: 2) { $0.remoteTimeout = 5 }
        let good = join(pool, "good", from: "address 10.0.0.1")
        let local = try pool.reset()
        try pool.send([0, 0], environmentIDs: local.environmentIDs)
        var waits: [Double] = []
        for round in 0..<4 {
            let flooder = join(pool, "flood-\(round)", from: "address 10.0.0.66", silent: true)
            XCTAssertNotNil(flooder.assigned, "round \(round): the backoff has passed, so it gets a place")
            // A batch with a silent newcomer in the pool does not wait for its deadline.
            let before = transport.clock.now()
            let batch = try pool.receiveReady(maxBatchSize: 6, fullBatchSize: 6, timeout: 1)
            XCTAssertEqual(Set(batch.environmentIDs), [0, 1, 2, 3], "round \(round)")
            XCTAssertLessThan(transport.clock.now() - before, 0.5, "round \(round): the batch waited for a worker that never answered")
            try pool.send([Float](repeating: 0, count: batch.count), environmentIDs: batch.environmentIDs)
            transport.clock.advance(5.5)
            transport.deliver(.heartbeat, from: good.identity)
            _ = pool.heartbeatTick()
            XCTAssertFalse(pool.slots.contains { $0.remoteIdentity == flooder.identity }, "round \(round): vacated when silent")
            let barred = join(pool, "flood-\(round)-again", from: "address 10.0.0.66")
            XCTAssertNil(barred.assigned, "round \(round): refused while barred")
            let message = try XCTUnwrap(refusal(barred), "round \(round)")
            XCTAssertTrue(message.contains("try again"), message)
            let seconds = try XCTUnwrap(message.split(separator: " ").compactMap { Double($0) }.first, message)
            waits.append(seconds)
            transport.clock.advance(seconds + 0.01)
        }
        XCTAssertEqual(waits.map { ($0 * 10).rounded() / 10 }, [0.5, 1, 2, 4], "the backoff doubles with each strike")
        XCTAssertGreaterThanOrEqual(pool.admissionRefused, 4)
        XCTAssertNotNil(good.assigned)
        XCTAssertEqual(pool.slots.first { $0.remoteIdentity == good.identity }?.phase, .idle, "the good worker keeps its place")
    }

    /// A newcomer that answers its reset and then is slow to step (a hostile
    /// peer about to send NaN, or one starved of CPU) is not waited for until
    /// it has served well; its results are still taken as they come.
    func testNewcomerThatOnlyAnsweredItsReset_isNotWaitedFor_untilItHasServedWell() throws {
        let pool = try makePool(workers: 1, remote: 1)
        let local = try pool.reset()
        try pool.send([0, 0], environmentIDs: local.environmentIDs)
        let newcomer = join(pool, "slow", from: "address 10.0.0.7")
        var served = 0
        func round() throws -> (ids: Set<Int>, waited: Double) {
            let before = transport.clock.now()
            let batch = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 4, timeout: 1)
            if batch.environmentIDs.contains(2) { served += 1 }
            try pool.send([Float](repeating: 0, count: batch.count), environmentIDs: batch.environmentIDs)
            return (Set(batch.environmentIDs), transport.clock.now() - before)
        }
        newcomer.delay = 0.6  // its reset is answered; its first step will be slow
        _ = try round()
        XCTAssertEqual(served, 1, "the newcomer's reset answer is taken")
        let slow = try round()
        XCTAssertEqual(slow.ids, [0, 1])
        XCTAssertLessThan(slow.waited, 0.5, "a batch waited for a newcomer that has only answered its reset")
        newcomer.delay = 0
        transport.clock.advance(0.7)  // its slow step arrives
        newcomer.tick(now: transport.clock.now(), transport: transport)
        for _ in 0..<1_000 where served < Admission.healthySteps + 2 { _ = try round() }
        XCTAssertGreaterThanOrEqual(served, Admission.healthySteps + 2, "the newcomer's results are used as they come")
        newcomer.delay = 0.4
        var waitedFor: (ids: Set<Int>, waited: Double) = ([], 0)
        for _ in 0..<4 where waitedFor.waited < 0.3 { waitedFor = try round() }
        XCTAssertEqual(waitedFor.ids, [0, 1, 2, 3], "a worker that has served well is waited for")
        XCTAssertGreaterThanOrEqual(waitedFor.waited, 0.3)
    }

    /// A daemon killed with `kill -9` and started again: its new workers'
    /// hellos find every place taken by their dead predecessors, whose
    /// connections are closed. The pool probes, frees those places and
    /// admits the newcomers at once — no timeout to wait for.
    func testRestartedDaemon_takesItsDeadPredecessorsPlacesAtOnce() throws {
        let pool = try makePool(workers: 1, remote: 2) { $0.remoteTimeout = 60 }
        let old = [join(pool, "old-a", from: "address 10.0.0.2"), join(pool, "old-b", from: "address 10.0.0.2")]
        _ = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 4, timeout: 0.01)
        for worker in old { transport.disconnect(worker.identity) }
        let new = [join(pool, "new-a", from: "address 10.0.0.2"), join(pool, "new-b", from: "address 10.0.0.2")]
        XCTAssertTrue(new.allSatisfy { $0.assigned != nil }, "\(new.map { refusal($0) ?? "-" })")
        XCTAssertEqual(pool.placesReclaimed, 2)
        XCTAssertEqual(pool.remoteRefused, 0)
        // A third newcomer from another source finds live workers only: refused.
        let late = join(pool, "late", from: "address 10.0.0.3")
        XCTAssertNil(late.assigned)
        XCTAssertEqual(pool.placesReclaimed, 2)
    }

    /// The same daemon back after losing its connections without closing
    /// them (its machine restarted): a place of its own source that is idle
    /// and silent past `reclaimSilence` goes to the newcomer; one of another
    /// source, or one not yet that silent, does not.
    func testSilentPlaceOfTheSameSource_goesToItsNewcomer_othersKeepTheirs() throws {
        let pool = try makePool(workers: 1, remote: 2) { $0.remoteTimeout = 60 }
        let stale = join(pool, "stale", from: "key AAA")
        let other = join(pool, "other", from: "key BBB")
        for worker in [stale, other] { transport.deliver(.heartbeat, from: worker.identity) }
        _ = pool.heartbeatTick()
        _ = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 4, timeout: 0.01)  // both idle now
        transport.clock.advance(1)
        let early = join(pool, "early", from: "key AAA")
        XCTAssertNil(early.assigned, "1 s of silence is a live worker's")
        transport.clock.advance(1.5)
        transport.deliver(.heartbeat, from: other.identity)
        let back = join(pool, "back", from: "key AAA")
        XCTAssertNotNil(back.assigned, refusal(back) ?? "-")
        XCTAssertEqual(pool.slots.first { $0.remoteIdentity == other.identity }?.isOccupied, true)
        XCTAssertNil(pool.slots.first { $0.remoteIdentity == stale.identity })
    }
}

extension PoolSupervisionTests {
    /// Results naming one final observation twice cannot be decoded: the
    /// remote worker that sent them in answer to actions loses its place at
    /// once (a bad frame), instead of holding it until the step timeout.
    func testMalformedResultsFromAWorkerThatOwesAnAnswer_sendItAwayAtOnce() throws {
        let pool = try makePool(workers: 1, remote: 1) { $0.remoteTimeout = 60 }
        let worker = join(pool, "dup", from: "key DUP")
        let first = try pool.receiveReady(maxBatchSize: 4, fullBatchSize: 2, timeout: 0.01)
        XCTAssertEqual(first.environmentIDs, [2, 3])
        worker.hang = true
        try pool.send([0, 0], environmentIDs: [2, 3])
        let sequence = try XCTUnwrap(transport.sent.last { $0.peer == worker.identity && $0.message.kind == .actions }?.sequence)
        let final: [Float] = [0, 0]
        let dup = Results(environmentCount: 2, observationSize: 2, observations: [Float](repeating: 0, count: 4), rewards: [0, 0],
                          terminated: [true, false], truncated: [false, false],
                          finalObservations: [FinalObservation(index: 0, observation: final), FinalObservation(index: 0, observation: final)])
        let before = pool.badFrames, clock = transport.clock.now()
        transport.deliverRaw([worker.identity, WireCodec.encode(.results(dup), sequence: sequence)])
        _ = pool.heartbeatTick()
        XCTAssertEqual(pool.badFrames, before + 1)
        XCTAssertEqual(pool.remoteLost, 1, "its place is freed at once")
        XCTAssertEqual(transport.clock.now(), clock, "no timeout was waited for")
        XCTAssertEqual(transport.messages(to: worker.identity).last?.kind, .goodbye)
    }
}

/// Admission control's book alone: the token bucket and the backoff.
final class AdmissionTests: XCTestCase {
    func testRate_burstThenOnePerSecond_localPeersUnlimited() {
        var admission = Admission(places: 2)
        XCTAssertEqual(admission.burst, 8)
        for _ in 0..<8 {
            XCTAssertNil(admission.refusal("address a", now: 0))
            admission.took("address a", now: 0)
        }
        let refused = admission.refusal("address a", now: 0)
        XCTAssertEqual(refused?.seconds ?? 0, 1, accuracy: 1e-9)
        XCTAssertTrue(refused?.reason.contains("per second") == true, refused?.reason ?? "-")
        XCTAssertNil(admission.refusal("address b", now: 0), "another source has its own bucket")
        XCTAssertNil(admission.refusal("address a", now: 1), "a token a second")
        XCTAssertNil(admission.refusal(nil, now: 0), "local peers are not limited")
        XCTAssertEqual(admission.refusals, 1)
    }

    func testBackoff_doublesPerStrike_upToAMinute_servingWellForgives() {
        var admission = Admission(places: 4)
        var bars: [Double] = []
        for strike in 0..<10 {
            let now = Double(strike) * 100
            admission.leftEarly("key k", now: now)
            bars.append(admission.refusal("key k", now: now)?.seconds ?? 0)
        }
        XCTAssertEqual(bars, [0.5, 1, 2, 4, 8, 16, 32, 60, 60, 60])
        admission.servedWell("key k")
        XCTAssertEqual(admission.strikes("key k"), 0)
        admission.leftEarly("key k", now: 2000)
        XCTAssertEqual(admission.refusal("key k", now: 2000)?.seconds, 0.5)
    }
}

