import Foundation
import HerdEnvironments
import HerdRuntime
import HerdTestSupport
import HerdTransport
import XCTest

/// CURVE authentication and the learner's limits, with real worker
/// processes and real sockets over loopback TCP.
final class FleetSecurityTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        guard CurveKeyPair.isSupported else { throw XCTSkip("this libzmq has no CURVE") }
        scratch = try temporaryDirectory()
    }

    override func tearDown() { if let scratch { try? FileManager.default.removeItem(at: scratch) } }

    /// Steps whatever is ready for `seconds`, sending actions back at once.
    func drive(_ pool: ProcessPool, _ seconds: Double, until done: () -> Bool = { false }) throws -> [Batch] {
        var seen: [Batch] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, !done() {
            let batch = try pool.receiveReady(maxBatchSize: pool.environmentCount, fullBatchSize: pool.environmentCount, timeout: 0.01)
            seen.append(batch)
            if batch.count > 0 { try pool.send([Float](repeating: 0, count: batch.count), environmentIDs: batch.environmentIDs) }
        }
        return seen
    }

    /// Every message `socket` receives within `milliseconds` of quiet.
    func replies(_ socket: ZMQSocket, milliseconds: Int = 300) throws -> [WireMessage] {
        var out: [WireMessage] = []
        while let frames = try socket.receive(timeoutMilliseconds: milliseconds) {
            if let message = try? WireCodec.decode(frames[0].byteArray).message { out.append(message) }
        }
        return out
    }

    func remotePool(port: Int, curve: CurveServerSettings?, configure: (inout PoolConfiguration) -> Void = { _ in }) throws -> ProcessPool {
        var config = PoolConfiguration(environment: "CartPole-v1", workers: 1, environmentsPerWorker: 2, herdExecutable: try herdExecutable())
        config.listen = "tcp://127.0.0.1:\(port)"
        config.remoteWorkers = 2
        config.remoteTimeout = 2
        config.logEvents = false
        config.curve = curve
        configure(&config)
        return try ProcessPool(config)
    }

    /// A listening pool whose local worker is stepping (reset, its actions in
    /// flight), for hand-written peers that never heartbeat: only what the
    /// test is about may end them (remote timeout 60 s).
    func steppingRemotePool(port: Int, configure: (inout PoolConfiguration) -> Void = { _ in }) throws -> ProcessPool {
        let pool = try remotePool(port: port, curve: nil) { config in
            config.remoteTimeout = 60
            configure(&config)
        }
        do {
            _ = try pool.reset()
            try pool.send([0, 0], environmentIDs: [0, 1])
        } catch {
            pool.close()
            throw error
        }
        return pool
    }

    /// A DEALER connected to the pool's TCP port, as a worker written from the spec would be.
    func rawPeer(_ context: ZMQContext, port: Int, curve: (keys: CurveKeyPair, server: String)? = nil) throws -> ZMQSocket {
        let socket = try ZMQSocket(context, .dealer)
        if let curve { try socket.setCurveClient(publicKey: curve.keys.publicKey, secretKey: curve.keys.secretKey, serverKey: curve.server) }
        try socket.connect("tcp://127.0.0.1:\(port)")
        return socket
    }

    func testKeys_writeReadAndDerive_secretIsPrivate_authorizedDirectoryTakesPublicKeysOnly() throws {
        let pair = try CurveKeyPair.generate()
        let dir = scratch.appendingPathComponent("keys")
        try pair.write(to: dir)
        var info = stat()
        XCTAssertEqual(stat(dir.appendingPathComponent("secret.key").path, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(try CurveKeyPair.readSecret(dir.appendingPathComponent("secret.key")), pair, "the public key is derived from the secret")
        XCTAssertEqual(try CurveKeyPair.readKey(dir.appendingPathComponent("public.key")), pair.publicKey)
        XCTAssertThrowsError(try pair.write(to: dir)) { XCTAssertTrue("\($0)".contains("refusing to overwrite"), "\($0)") }
        // Z85 round trip of the raw key.
        XCTAssertEqual(CurveKeyPair.z85Encode(try XCTUnwrap(CurveKeyPair.z85Decode(pair.publicKey))), pair.publicKey)

        let authorized = scratch.appendingPathComponent("authorized")
        try FileManager.default.createDirectory(at: authorized, withIntermediateDirectories: true)
        XCTAssertThrowsError(try CurveKeyPair.readAuthorizedKeys(authorized)) { XCTAssertTrue("\($0)".contains("no *.key files"), "\($0)") }
        try FileManager.default.copyItem(at: dir.appendingPathComponent("public.key"), to: authorized.appendingPathComponent("a.key"))
        XCTAssertEqual(try CurveKeyPair.readAuthorizedKeys(authorized), [pair.publicKey])
        try Data("not a key\n".utf8).write(to: authorized.appendingPathComponent("b.key"))
        XCTAssertThrowsError(try CurveKeyPair.readAuthorizedKeys(authorized)) { XCTAssertTrue("\($0)".contains("b.key"), "\($0)") }
        try FileManager.default.removeItem(at: authorized.appendingPathComponent("b.key"))
        try FileManager.default.copyItem(at: dir.appendingPathComponent("secret.key"), to: authorized.appendingPathComponent("c.key"))
        XCTAssertThrowsError(try CurveKeyPair.readAuthorizedKeys(authorized)) { XCTAssertTrue("\($0)".contains("secret key"), "\($0)") }
    }

    /// A CURVE pool: its own local worker authenticates with the pool's
    /// key; a real remote worker with an authorised key joins; a client with
    /// an unknown key and one with no key are refused at the handshake,
    /// never reach the protocol (no refusal, no assignment, no data) and do
    /// not disturb stepping.
    func testCurvePool_letsInAuthorisedWorkersOnly() throws {
        let learner = try CurveKeyPair.generate(), daemon = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let keys = scratch.appendingPathComponent("daemon"), server = scratch.appendingPathComponent("server")
        try daemon.write(to: keys)
        try learner.write(to: server)
        let port = freeTCPPort()
        let pool = try remotePool(port: port, curve: CurveServerSettings(keys: learner, authorizedKeys: [daemon.publicKey]))
        defer { pool.close() }
        XCTAssertEqual(try pool.reset().environmentIDs, [0, 1], "the local worker authenticates with the pool's own key")

        let context = ZMQContext()
        let unknown = try ZMQSocket(context, .dealer)
        try unknown.setCurveClient(publicKey: stranger.publicKey, secretKey: stranger.secretKey, serverKey: learner.publicKey)
        try unknown.connect("tcp://127.0.0.1:\(port)")
        let plain = try ZMQSocket(context, .dealer)
        try plain.connect("tcp://127.0.0.1:\(port)")
        let hello = WireCodec.encode(.hello(Hello(capacity: 2, pid: 1, label: "intruder")), sequence: 0)
        try unknown.send([hello], dontWait: true)
        try plain.send([hello], dontWait: true)

        let worker = try ChildProcess(executable: try herdExecutable(), arguments: [
            "env-worker", "--connect", "tcp://127.0.0.1:\(port)", "--capacity", "2",
            "--curve-key", keys.appendingPathComponent("secret.key").path, "--server-key", server.appendingPathComponent("public.key").path])
        defer { worker.terminate() }
        try pool.send([0, 0], environmentIDs: [0, 1])
        let seen = try drive(pool, 8) { pool.remoteJoined == 1 && (pool.curveCounts?.refused ?? 0) >= 2 }
        _ = try drive(pool, 1)
        XCTAssertEqual(pool.remoteJoined, 1, "only the authorised worker joins")
        XCTAssertTrue(seen.contains { $0.environmentIDs.contains(2) } || pool.remoteJoined == 1)
        let counts = try XCTUnwrap(pool.curveCounts)
        XCTAssertGreaterThanOrEqual(counts.unknownKey, 1, "\(counts)")
        XCTAssertGreaterThanOrEqual(counts.failedHandshake, 1, "\(counts)")
        XCTAssertGreaterThanOrEqual(counts.accepted, 2, "the local and the remote worker")
        XCTAssertEqual(try replies(unknown), [], "an unknown key gets nothing")
        XCTAssertEqual(try replies(plain), [], "no key gets nothing")
        XCTAssertEqual(pool.remoteRefused, 0, "refused clients never reach the protocol")
        XCTAssertEqual(pool.badFrames, 0)
        let later = try drive(pool, 1)
        XCTAssertTrue(later.contains { $0.environmentIDs.contains(0) } && later.contains { $0.environmentIDs.contains(2) },
                      "local and remote environments go on stepping")
    }

    /// Over a limit: a frame larger than the maximum, or more messages out
    /// of turn than allowed, gets `error` 6 and goodbye; whatever the peer
    /// sends afterwards is dropped; the pool goes on.
    func testLimits_oversizedFrame_andMessagesOutOfTurn_disconnectThePeer() throws {
        let port = freeTCPPort()
        let pool = try steppingRemotePool(port: port) { config in
            config.limits.maxMessageBytes = 4096
            config.maxPendingMessages = 3
        }
        defer { pool.close() }
        let context = ZMQContext()
        let big = try rawPeer(context, port: port)
        try big.send([WireCodec.encode(.hello(Hello(capacity: 2, pid: 1, label: "big")), sequence: 0)])
        _ = try drive(pool, 0.5)
        guard case .assign = try replies(big).first else { return XCTFail("the peer should be assigned first") }
        try big.send([[UInt8](repeating: 7, count: 10_000)])
        let chatty = try rawPeer(context, port: port)
        for _ in 0..<5 { try chatty.send([[1, 2, 3]]) }
        _ = try drive(pool, 1)
        for (socket, reason) in [(big, "message bytes"), (chatty, "out of turn")] {
            let messages = try replies(socket)
            guard messages.count == 2, case let .error(error) = messages[0], messages[1] == .goodbye else {
                return XCTFail("the \(reason) peer: expected error then goodbye, got \(messages) (pool: \(pool.peersOverLimit) over a limit, "
                               + "\(pool.badFrames) bad frames, \(pool.remoteLost) remote lost)")
            }
            XCTAssertEqual(error.code, .limitExceeded)
            XCTAssertTrue(error.message.contains(reason), error.message)
        }
        XCTAssertEqual(pool.peersOverLimit, 2)
        let dropped = pool.badFrames
        try chatty.send([WireCodec.encode(.hello(Hello(capacity: 2, pid: 1, label: "again")), sequence: 0)])
        let after = try drive(pool, 0.5)
        XCTAssertEqual(try replies(chatty), [], "a disconnected peer's messages are dropped")
        XCTAssertEqual(pool.badFrames, dropped + 1)
        XCTAssertEqual(pool.remoteJoined, 1, "only the first peer ever took a place")
        XCTAssertTrue(after.contains { $0.environmentIDs == [0, 1] }, "the local worker goes on")
    }

    /// A worker of protocol version 1 (an older Herd) is refused in
    /// version 1's framing, which it can read: `error` code 5 naming the
    /// versions and what to upgrade, then `goodbye`. It never takes a place.
    func testVersion1Worker_isRefusedInItsOwnFraming() throws {
        let port = freeTCPPort()
        let pool = try steppingRemotePool(port: port)
        defer { pool.close() }
        let context = ZMQContext()
        let old = try rawPeer(context, port: port)
        var hello = WireCodec.encode(.hello(Hello(capacity: 2, pid: 1, label: "old")), sequence: 0)
        hello[4] = 1  // version 1: its hello body is the same
        try old.send([hello])
        _ = try drive(pool, 0.5)
        var frames: [[UInt8]] = []
        while let reply = try old.receive(timeoutMilliseconds: 300) { frames.append(reply[0].byteArray) }
        XCTAssertEqual(frames.map { Array($0[4..<6]) }, [[1, 0], [1, 0]],
                       "both replies framed as version 1: \(frames.map { $0.prefix(24).map { String(format: "%02x", $0) }.joined() })")
        let decoded = frames.map { frame -> WireMessage? in
            var v2 = frame
            v2[4] = 2
            return try? WireCodec.decode(v2).message
        }
        guard decoded.count == 2, case let .error(error)? = decoded[0], decoded[1] == .goodbye else {
            return XCTFail("expected error then goodbye, got \(decoded)")
        }
        XCTAssertEqual(error.code, .refused)
        XCTAssertTrue(error.message.contains("version 2") && error.message.contains("version 1") && error.message.contains("upgrade"), error.message)
        XCTAssertEqual(pool.remoteJoined, 0)
    }
    /// A remote worker answering `actions` with `error` (code 2), with
    /// results holding NaN, or with observations outside the bounds it
    /// declared at ready, over a real socket: it is counted, told goodbye
    /// and loses its place; the pool, and the local worker, go on. (The
    /// error used to end the run; the NaN was trusted.)
    func testRemoteWorkerError_orNaNResults_freeItsPlace_thePoolGoesOn() throws {
        func results(_ value: Float, sequence: UInt64) -> [UInt8] {
            WireCodec.encode(.results(Results(environmentCount: 2, observationSize: 4, observations: [Float](repeating: value, count: 8),
                                              rewards: [0, 0], terminated: [false, false], truncated: [false, false], finalObservations: [])),
                             sequence: sequence)
        }
        let box = ObservationBounds(low: [-1, -1, -1, -1], high: [1, 1, 1, 1])
        let answers: [(String, ObservationBounds?, (UInt64) -> [UInt8])] = [
            ("error", nil, { WireCodec.encode(.error(WireError(code: .invalidAction, message: "no")), sequence: $0) }),
            ("NaN", nil, { results(.nan, sequence: $0) }),
            ("outside its declared bounds", box, { results(2, sequence: $0) }),
        ]
        for (name, bounds, answer) in answers {
            let port = freeTCPPort()
            let pool = try steppingRemotePool(port: port)
            defer { pool.close() }
            let context = ZMQContext()
            let peer = try rawPeer(context, port: port)
            try peer.send([WireCodec.encode(.hello(Hello(capacity: 2, pid: 1, label: "hostile")), sequence: 0)])
            var log: [WireMessage] = []
            let deadline = Date().addingTimeInterval(20)
            while !log.contains(.goodbye), Date() < deadline {
                _ = try drive(pool, 0.05)
                while let frames = try peer.receive(timeoutMilliseconds: 0) {
                    let (message, sequence) = try WireCodec.decode(frames[0].byteArray)
                    log.append(message)
                    switch message {
                    case .assign:
                        try peer.send([WireCodec.encode(.ready(Ready(environmentCount: 2, observationSize: 4, actionSize: 1, actionKind: 0,
                                                                     discreteActions: 2, observationShape: [4], observationBounds: bounds)),
                                                        sequence: 0)])
                    case .reset: try peer.send([results(0.01, sequence: sequence)])
                    case .actions: try peer.send([answer(sequence)])
                    default: break
                    }
                }
            }
            XCTAssertEqual(log.map(\.kind).filter { $0 != .heartbeat }, [.assign, .reset, .actions, .goodbye], name)
            XCTAssertEqual(pool.workerErrors + pool.badFrames, 1, name)
            XCTAssertEqual(pool.remoteLost, 1, name)
            var stepsAfter = 0
            let until = Date().addingTimeInterval(10)
            while stepsAfter < 3, Date() < until {
                let batches = try drive(pool, 0.05)
                XCTAssertTrue(batches.allSatisfy { $0.observations.floatValues.allSatisfy { $0.isFinite && $0 != 2 } }, name)  // 2: the out-of-bounds peer's value
                stepsAfter += batches.filter { $0.environmentIDs.contains(0) }.count
            }
            XCTAssertGreaterThanOrEqual(stepsAfter, 3, "\(name): the local worker goes on stepping")
        }
    }

    // MARK: Admission control

    /// The next message on `socket` other than a heartbeat, within `seconds`.
    func next(_ socket: ZMQSocket, within seconds: Double = 10) throws -> (message: WireMessage, sequence: UInt64)? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard let frames = try socket.receive(timeoutMilliseconds: 50) else { continue }
            let decoded = try WireCodec.decode(frames[0].byteArray)
            if decoded.message != .heartbeat { return decoded }
        }
        return nil
    }

    static let cartPoleReady = Ready(environmentCount: 2, observationSize: 4, actionSize: 1, actionKind: 0, discreteActions: 2, observationShape: [4])

    /// A raw peer that says hello and ready (and, if `answerReset`, answers
    /// its reset); nil when it was not assigned a place.
    func joinedPeer(_ context: ZMQContext, port: Int, label: String, answerReset: Bool,
                    curve: (keys: CurveKeyPair, server: String)? = nil) throws -> ZMQSocket? {
        let peer = try rawPeer(context, port: port, curve: curve)
        try peer.send([WireCodec.encode(.hello(Hello(capacity: 2, pid: 1, label: label)), sequence: 0)])
        guard case .assign = try next(peer)?.message else { return nil }
        try peer.send([WireCodec.encode(.ready(Self.cartPoleReady), sequence: 0)])
        guard answerReset else { return peer }
        guard let reset = try next(peer), reset.message == .reset else { return nil }
        try peer.send([WireCodec.encode(.results(Results(environmentCount: 2, observationSize: 4, observations: [Float](repeating: 0.01, count: 8),
                                                         rewards: [0, 0], terminated: [false, false], truncated: [false, false], finalObservations: [])),
                                        sequence: reset.sequence)])
        return peer
    }

    /// Over real TCP a peer's source is its address (libzmq's
    /// `Peer-Address`): one that joins, says ready and goes silent loses
    /// its place at the remote timeout, and the next hello from that
    /// address is refused with `error` 5 saying how long to wait.
    func testSilentJoiner_barsItsAddress_theNextHelloIsToldWhenToComeBack() throws {
        let port = freeTCPPort()
        let pool = try remotePool(port: port, curve: nil) { config in
            config.remoteTimeout = 1
            config.admissionBackoff = 60  // the refusal below cannot race the end of the bar
        }
        defer { pool.close() }
        let context = ZMQContext()
        let silent = try XCTUnwrap(try joinedPeer(context, port: port, label: "silent", answerReset: false))
        _ = try drive(pool, 20) { pool.remoteLost >= 1 }
        XCTAssertEqual(pool.remoteLost, 1, "the silent peer loses its place")
        let again = try rawPeer(context, port: port)
        try again.send([WireCodec.encode(.hello(Hello(capacity: 2, pid: 1, label: "again")), sequence: 0)])
        guard case let .error(error)? = try next(again)?.message else { return XCTFail("the peer should be refused") }
        XCTAssertEqual(error.code, .refused)
        XCTAssertTrue(error.message.contains("address 127.0.0.1") && error.message.contains("try again"), error.message)
        XCTAssertEqual(pool.admissionRefused, 1)
        withExtendedLifetime(silent) {}
    }

    /// With CURVE a barred key is told once, with `error` 5, when to come
    /// back; until then its handshakes fail (ZAP 400), so a peer that comes
    /// back in a loop reaches neither a session nor the protocol. A real
    /// worker with that key, and one with a key the learner does not know,
    /// see the failed handshake and exit at once with EX_TEMPFAIL instead
    /// of waiting out their learner timeout.
    func testBarredKey_isToldOnce_thenItsHandshakesFail_andItsWorkerExitsAtOnce() throws {
        let learner = try CurveKeyPair.generate(), peer = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let server = scratch.appendingPathComponent("server"), peerKeys = scratch.appendingPathComponent("peer")
        let strangerKeys = scratch.appendingPathComponent("stranger")
        try learner.write(to: server)
        try peer.write(to: peerKeys)
        try stranger.write(to: strangerKeys)
        let port = freeTCPPort()
        let pool = try remotePool(port: port, curve: CurveServerSettings(keys: learner, authorizedKeys: [peer.publicKey])) { config in
            config.remoteTimeout = 1
            config.admissionBackoff = 60  // nothing below can race the end of the bar
        }
        defer { pool.close() }
        let context = ZMQContext()
        let curve = (keys: peer, server: learner.publicKey)
        let silent = try XCTUnwrap(try joinedPeer(context, port: port, label: "silent", answerReset: false, curve: curve))
        _ = try drive(pool, 20) { pool.remoteLost >= 1 }
        XCTAssertEqual(pool.remoteLost, 1, "the silent peer loses its place")
        let again = try rawPeer(context, port: port, curve: curve)
        try again.send([WireCodec.encode(.hello(Hello(capacity: 2, pid: 1, label: "again")), sequence: 0)])
        guard case let .error(error)? = try next(again)?.message else { return XCTFail("the key should be told when to come back") }
        XCTAssertEqual(error.code, .refused)
        XCTAssertTrue(error.message.contains("key \(peer.publicKey)") && error.message.contains("try again"), error.message)

        func worker(_ keys: URL) throws -> ProcessResult {
            try runProcess(try herdExecutable(), ["env-worker", "--connect", "tcp://127.0.0.1:\(port)", "--learner-timeout", "60",
                                                  "--curve-key", keys.appendingPathComponent("secret.key").path,
                                                  "--server-key", server.appendingPathComponent("public.key").path])
        }
        let barred = try worker(peerKeys)
        XCTAssertEqual(barred.status, 75, barred.stderr)
        XCTAssertTrue(barred.stderr.contains("CURVE handshake"), barred.stderr)
        let unknown = try worker(strangerKeys)
        XCTAssertEqual(unknown.status, 75, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("CURVE handshake"), unknown.stderr)
        let counts = try XCTUnwrap(pool.curveCounts)
        XCTAssertEqual(counts.turnedAway, 1, "\(counts)")
        XCTAssertEqual(counts.unknownKey, 1, "\(counts)")
        XCTAssertEqual(pool.admissionRefused, 1, "the barred worker never reached the protocol")
        XCTAssertEqual(pool.remoteJoined, 1)
        withExtendedLifetime(silent) {}
    }

    /// Two peers take both places, answer their reset and close their
    /// sockets (as workers killed with their daemon do). With a remote
    /// timeout of a minute, only the probe on the next hello can free their
    /// places: a newcomer joins long before any timeout.
    func testPlacesOfClosedConnections_goToTheNextHello_withoutWaitingForATimeout() throws {
        let port = freeTCPPort()
        let pool = try remotePool(port: port, curve: nil) { $0.remoteTimeout = 60 }
        defer { pool.close() }
        let context = ZMQContext()
        var old: [ZMQSocket?] = [try joinedPeer(context, port: port, label: "old-a", answerReset: true),
                                 try joinedPeer(context, port: port, label: "old-b", answerReset: true)]
        XCTAssertEqual(old.compactMap { $0 }.count, 2)
        XCTAssertTrue(eventually(10) { pool.remoteJoined == 2 })
        old = []  // closed (linger 0): libzmq drops their routes
        var newcomer: ZMQSocket?
        for attempt in 0..<50 where newcomer == nil {
            newcomer = try joinedPeer(context, port: port, label: "new-\(attempt)", answerReset: false)
        }
        XCTAssertNotNil(newcomer, "no newcomer got a place")
        XCTAssertGreaterThanOrEqual(pool.placesReclaimed, 1)
        XCTAssertEqual(pool.remoteLost, pool.placesReclaimed, "every place freed was freed by the probe, none by a timeout")
        withExtendedLifetime(old) {}
    }

    /// A worker the learner refuses a place exits with EX_TEMPFAIL (75),
    /// which tells `herd actor` to try again soon instead of backing off.
    func testRefusedWorker_exitsWithTempfail() throws {
        let port = freeTCPPort()
        let pool = try remotePool(port: port, curve: nil) { config in
            config.remoteWorkers = 1
            config.remoteTimeout = 60
        }
        defer { pool.close() }
        let context = ZMQContext()
        let holder = try XCTUnwrap(try joinedPeer(context, port: port, label: "holder", answerReset: true))
        XCTAssertTrue(eventually(10) { pool.remoteJoined == 1 })
        let refused = try runProcess(try herdExecutable(), ["env-worker", "--connect", "tcp://127.0.0.1:\(port)", "--learner-timeout", "20"])
        XCTAssertEqual(refused.status, 75, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("refused"), refused.stderr)
        withExtendedLifetime(holder) {}
    }
}

