import Foundation
import HerdRuntime
import HerdTransport

/// The pool's wire as an in-process double (swift-nio's `EmbeddedChannel`
/// is the model): peers are objects in this process, every frame the pool
/// sends is decoded, recorded and handed to its peer at once, and what a
/// peer says waits in the pool's inbox. A receive that finds the inbox
/// empty advances the ``ManualClock`` by its timeout instead of sleeping,
/// so supervision, heartbeats and deadlines run in milliseconds.
public final class LoopbackTransport: PoolTransport {
    public let endpoint = "loopback://pool"
    public let clock: ManualClock
    private var inbox: [[[UInt8]]] = []
    /// The admission source a peer's messages carry (as a TCP peer's
    /// address or a CURVE key would); none by default.
    public var sources: [[UInt8]: String] = [:]
    private var peers: [[UInt8]: LoopbackPeer] = [:]
    /// Every message the pool sent, decoded, with its addressee.
    public private(set) var sent: [(peer: [UInt8], message: WireMessage, sequence: UInt64)] = []

    public init(clock: ManualClock = ManualClock()) { self.clock = clock }

    /// Connects `peer`: the pool may now send to its identity.
    public func connect(_ peer: LoopbackPeer) { peers[peer.identity] = peer }
    public func disconnect(_ identity: [UInt8]) { peers[identity] = nil }
    public func isConnected(_ identity: [UInt8]) -> Bool { peers[identity] != nil }

    /// Queues a message from `identity` for the pool.
    public func deliver(_ message: WireMessage, sequence: UInt64 = 0, from identity: [UInt8]) {
        inbox.append([identity, WireCodec.encode(message, sequence: sequence)])
    }

    /// Queues raw frames (routing id first) for the pool.
    public func deliverRaw(_ frames: [[UInt8]]) { inbox.append(frames) }

    /// The messages the pool sent to `identity`.
    public func messages(to identity: [UInt8]) -> [WireMessage] { sent.filter { $0.peer == identity }.map(\.message) }

    public func send(_ payload: [UInt8], to peer: [UInt8], dontWait: Bool) throws {
        guard let target = peers[peer] else {
            throw TransportError.zmq(operation: "send", message: "Host unreachable", endpoint: endpoint)
        }
        let decoded = try WireCodec.decode(payload)
        sent.append((peer, decoded.message, decoded.sequence))
        target.receive(decoded.message, sequence: decoded.sequence, transport: self)
    }

    public func receive(timeoutMilliseconds: Int) throws -> TransportMessage? {
        if inbox.isEmpty, timeoutMilliseconds > 0 {
            clock.advance(Double(timeoutMilliseconds) / 1000)
            for peer in Array(peers.values) { peer.tick(now: clock.now(), transport: self) }
        }
        guard !inbox.isEmpty else { return nil }
        let frames = inbox.removeFirst()
        return TransportMessage(frames: frames, source: frames.first.flatMap { sources[$0] })
    }

    public func close() {}
}

/// A peer on a ``LoopbackTransport``.
public protocol LoopbackPeer: AnyObject {
    var identity: [UInt8] { get }
    /// A message from the pool.
    func receive(_ message: WireMessage, sequence: UInt64, transport: LoopbackTransport)
    /// Time passed (the pool waited); a peer may answer late here.
    func tick(now: Double, transport: LoopbackTransport)
}

/// Time that moves only when told (or when the loopback waits).
public final class ManualClock: PoolClock {
    public private(set) var time: Double
    public init(start: Double = 1000) { time = start }
    public func now() -> Double { time }
    public func advance(_ seconds: Double) { time += seconds }
}
