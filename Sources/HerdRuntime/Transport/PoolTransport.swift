import Foundation
import HerdTransport

/// One message the pool received: the sender's routing id and the frames
/// after it. The ZeroMQ transport hands its own buffers over without a copy.
public struct TransportMessage {
    enum Storage {
        case frames([Frame])
        case bytes([[UInt8]])
    }

    let storage: Storage
    /// Who sent it, for admission control: `key <Z85>` for a CURVE client,
    /// else `address <IP>` for a TCP peer; nil for local (`ipc://`) peers.
    public let source: String?
    static let keyPrefix = "key "

    public init(frames: [[UInt8]], source: String? = nil) {
        storage = .bytes(frames)
        self.source = source
    }

    init(zmq frames: [Frame]) {
        storage = .frames(frames)
        // Connection properties ride on every frame after the routing id.
        if let last = frames.last, frames.count > 1 {
            source = last.property("User-Id").map { Self.keyPrefix + $0 } ?? last.property("Peer-Address").map { "address \($0)" }
        } else {
            source = nil
        }
    }

    /// Frames in the message, the routing id included.
    public var frameCount: Int {
        switch storage {
        case let .frames(f): return f.count
        case let .bytes(b): return b.count
        }
    }

    /// The first frame: the sender's routing id.
    public var peer: [UInt8] {
        switch storage {
        case let .frames(f): return f.first?.byteArray ?? []
        case let .bytes(b): return b.first ?? []
        }
    }

    /// Calls `body` with frame `index`'s bytes (valid only inside it).
    public func withFrame<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch storage {
        case let .frames(f): return try f[index].withBytes(body)
        case let .bytes(b): return try b[index].withUnsafeBytes(body)
        }
    }
}

/// The learner side of the pool's wire: a ROUTER that addresses peers by
/// routing id (``ZMQRouterTransport`` in production, an in-process loopback
/// in tests, as swift-nio's `EmbeddedChannel`). Not thread-safe: the pool
/// calls it under its lock.
public protocol PoolTransport: AnyObject {
    /// Where local workers connect (`--connect`).
    var endpoint: String { get }
    /// Sends one message to `peer`. Throws when the peer is not connected,
    /// or, with `dontWait`, when its queue is full.
    func send(_ payload: [UInt8], to peer: [UInt8], dontWait: Bool) throws
    /// The next message, waiting up to `timeoutMilliseconds` (0: only one already queued).
    func receive(timeoutMilliseconds: Int) throws -> TransportMessage?
    /// CURVE: who was kept out (nil without CURVE).
    var curveCounts: CurveAuthenticator.Counts? { get }
    /// CURVE: the key pair the pool's own workers use (nil without CURVE).
    var localWorkerKeys: CurveKeyPair? { get }
    /// Asks the network layer to refuse `source`'s connections for
    /// `seconds` before they reach the pool: with CURVE, a `key` source's
    /// handshakes are held until then (or fail after a hold, ZAP 400);
    /// otherwise nothing happens.
    func turnAway(_ source: String, forSeconds seconds: Double)
    /// Stops the transport (and its authenticator); removes an `ipc://` file.
    func close()
}

extension PoolTransport {
    public var curveCounts: CurveAuthenticator.Counts? { nil }
    public var localWorkerKeys: CurveKeyPair? { nil }
    public func turnAway(_ source: String, forSeconds seconds: Double) {}
}

/// The pool's time, in seconds on a monotonic scale. Tests pass a clock
/// that the loopback transport advances instead of sleeping.
public protocol PoolClock: AnyObject {
    func now() -> Double
}

/// Monotonic wall time (`DispatchTime`).
public final class SystemClock: PoolClock {
    public init() {}
    public func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
