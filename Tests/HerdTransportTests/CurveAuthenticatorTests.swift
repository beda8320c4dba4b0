import Foundation
import HerdTestSupport
import HerdTransport
import XCTest

/// The ZAP handler over real CURVE sockets (TCP on loopback): who is let
/// in, who fails at once, and how a key the pool has barred is held.
final class CurveAuthenticatorTests: XCTestCase {
    private struct Server {
        let context: ZMQContext
        let keys: CurveKeyPair
        let authenticator: CurveAuthenticator
        let socket: ZMQSocket
        let endpoint: String
    }

    private func server(authorizing keys: [CurveKeyPair], holdSeconds: Double = 5) throws -> Server {
        let context = ZMQContext(), serverKeys = try CurveKeyPair.generate()
        let authenticator = try CurveAuthenticator(context: context, authorizedKeys: Set(keys.map(\.publicKey)), log: { _ in })
        authenticator.holdSeconds = holdSeconds
        let socket = try ZMQSocket(context, .router)
        try socket.setCurveServer(secretKey: serverKeys.secretKey)
        try authenticator.watch(socket)
        authenticator.start()
        let endpoint = "tcp://127.0.0.1:\(freeTCPPort())"
        try socket.bind(endpoint)
        return Server(context: context, keys: serverKeys, authenticator: authenticator, socket: socket, endpoint: endpoint)
    }

    /// A client of `keys` that says "hi" once connected, with a monitor of its handshake's outcome.
    private func client(_ keys: CurveKeyPair, of server: Server, context: ZMQContext) throws -> (socket: ZMQSocket, monitor: ZMQSocket) {
        let socket = try ZMQSocket(context, .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.setCurveClient(publicKey: keys.publicKey, secretKey: keys.secretKey, serverKey: server.keys.publicKey)
        let endpoint = "inproc://curve-test-\(UInt32.random(in: 0...UInt32.max))"
        try socket.monitor(endpoint, events: SocketEvent.handshakeFailedAuth | SocketEvent.handshakeSucceeded)
        let monitor = try ZMQSocket(context, .pair)
        try monitor.connect(endpoint)
        try socket.connect(server.endpoint)
        try socket.send([Array("hi".utf8)])
        return (socket, monitor)
    }

    private func handshakeOutcome(_ monitor: ZMQSocket) throws -> Int32? {
        try monitor.receive(timeoutMilliseconds: 20_000).flatMap(SocketEvent.init)?.event
    }

    func testAuthorisedKeyIsLetIn_unknownKeyFailsAtOnce() throws {
        let member = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate()
        let server = try server(authorizing: [member])
        defer { server.authenticator.stop() }
        let context = ZMQContext()
        let good = try client(member, of: server, context: context)
        XCTAssertEqual(try handshakeOutcome(good.monitor), SocketEvent.handshakeSucceeded)
        XCTAssertEqual(try server.socket.receive(timeoutMilliseconds: 20_000)?.last?.byteArray, Array("hi".utf8))
        let bad = try client(stranger, of: server, context: context)
        XCTAssertEqual(try handshakeOutcome(bad.monitor), SocketEvent.handshakeFailedAuth)
        let counts = server.authenticator.counts
        XCTAssertEqual(counts.accepted, 1)
        XCTAssertEqual(counts.unknownKey, 1)
        XCTAssertEqual(counts.turnedAway, 0)
    }

    /// A barred key's handshake waits for the end of its bar and then goes
    /// through: the peer is let in no earlier than the bar allows, and
    /// never sees a failure it would reconnect after.
    func testBarredKey_isHeldUntilItsBarEnds_thenLetIn() throws {
        let member = try CurveKeyPair.generate()
        let server = try server(authorizing: [member], holdSeconds: 30)
        defer { server.authenticator.stop() }
        let barSeconds = 1.0
        let barEnds = DispatchTime.now().uptimeNanoseconds + UInt64(barSeconds * 1e9)
        server.authenticator.turnAway(member.publicKey, forSeconds: barSeconds)
        let context = ZMQContext()
        let peer = try client(member, of: server, context: context)
        XCTAssertEqual(try handshakeOutcome(peer.monitor), SocketEvent.handshakeSucceeded)
        XCTAssertGreaterThanOrEqual(DispatchTime.now().uptimeNanoseconds, barEnds, "let in before its bar ended")
        XCTAssertEqual(try server.socket.receive(timeoutMilliseconds: 20_000)?.last?.byteArray, Array("hi".utf8))
        let counts = server.authenticator.counts
        XCTAssertEqual(counts.accepted, 1)
        XCTAssertEqual(counts.turnedAway, 0)
        XCTAssertEqual(counts.held, 0)
    }

    /// A held client that hangs up frees its hold at once (it counts under
    /// the caps no longer) and is counted as turned away, not as a failed
    /// handshake.
    func testHeldClientThatHangsUp_freesItsHold_andIsTurnedAwayNotFailed() throws {
        let member = try CurveKeyPair.generate()
        let server = try server(authorizing: [member], holdSeconds: 25)
        defer { server.authenticator.stop() }
        server.authenticator.turnAway(member.publicKey, forSeconds: 600)
        let context = ZMQContext()
        var peer: (socket: ZMQSocket, monitor: ZMQSocket)? = try client(member, of: server, context: context)
        XCTAssertTrue(eventually(20) { server.authenticator.counts.held == 1 }, "\(server.authenticator.counts)")
        withExtendedLifetime(peer) {}
        peer = nil  // closed with linger 0: the server sees the connection go mid-handshake
        XCTAssertTrue(eventually(20) { server.authenticator.counts.held == 0 }, "\(server.authenticator.counts)")
        let counts = server.authenticator.counts
        XCTAssertEqual(counts.turnedAway, 1)
        XCTAssertEqual(counts.failedHandshake, 0)
        XCTAssertEqual(counts.accepted, 0)
    }

    /// A bar longer than the hold: the handshake fails after the hold
    /// (ZAP 400), and the server socket never hears from the peer.
    func testBarredKey_failsAfterTheHold_whenItsBarOutlastsIt() throws {
        let member = try CurveKeyPair.generate()
        let server = try server(authorizing: [member], holdSeconds: 0.3)
        defer { server.authenticator.stop() }
        server.authenticator.turnAway(member.publicKey, forSeconds: 600)
        let context = ZMQContext()
        let peer = try client(member, of: server, context: context)
        XCTAssertEqual(try handshakeOutcome(peer.monitor), SocketEvent.handshakeFailedAuth)
        XCTAssertNil(try server.socket.receive(timeoutMilliseconds: 200), "a barred peer reached the server socket")
        let counts = server.authenticator.counts
        XCTAssertEqual(counts.turnedAway, 1)
        XCTAssertEqual(counts.accepted, 0)
        XCTAssertEqual(counts.held, 0)
        XCTAssertEqual(counts.refused, 0, "an authorised key barred for a while is not counted as refused")
    }
}
