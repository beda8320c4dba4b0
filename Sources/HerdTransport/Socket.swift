import CZeroMQ
import Foundation

/// A ZeroMQ context. Sockets keep it alive; it is terminated when the last
/// reference goes. Sockets are closed with linger 0 by default, so
/// termination never blocks on unsent messages.
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    /// A context with `ioThreads` background I/O threads (libzmq's
    /// `ZMQ_IO_THREADS`; each connection is served by one of them).
    public init(ioThreads: Int32 = 1) {
        handle = zmq_ctx_new()
        if ioThreads != 1 { zmq_ctx_set(handle, ZMQ_IO_THREADS, ioThreads) }
    }

    deinit { zmq_ctx_term(handle) }
}

/// Socket types Herd uses.
public enum SocketType: Int32, Sendable {
    /// The learner's side: many peers, messages carry the peer's routing id.
    case router = 6
    /// A worker's side: one conversation with the learner.
    case dealer = 5
    /// The ZAP handler's side of libzmq's authentication requests.
    case reply = 4
    /// One-to-one, for socket monitors.
    case pair = 0
}

/// One received frame, owned until released: the bytes are zmq's own buffer,
/// read in place without a copy.
///
/// The `zmq_msg_t` lives at a fixed heap address: a small message keeps its
/// bytes inside that struct, so a pointer to them is only good while the
/// struct neither moves nor is closed. Read the bytes inside ``withBytes(_:)``
/// (or copy them with ``byteArray``): Swift may release a frame right after
/// its last use, before a pointer taken from it is read.
public final class Frame {
    let message: UnsafeMutablePointer<zmq_msg_t>

    init() {
        message = .allocate(capacity: 1)
        message.initialize(to: zmq_msg_t())
        zmq_msg_init(message)
    }

    deinit {
        zmq_msg_close(message)
        message.deallocate()
    }

    /// The frame's bytes, valid while the frame lives (see ``withBytes(_:)``).
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: zmq_msg_data(message), count: zmq_msg_size(message))
    }

    /// Calls `body` with the bytes, keeping the frame alive meanwhile.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(bytes) }
    }

    /// A copy of the bytes.
    public var byteArray: [UInt8] { withBytes { Array($0) } }

    public var count: Int { zmq_msg_size(message) }

    /// A copy as `Data` (for identities and tests).
    public var data: Data { withBytes { Data($0) } }

    /// A metadata property of the connection the frame came on
    /// (`zmq_msg_gets`): `"Peer-Address"` (a TCP peer's IP address) or
    /// `"User-Id"` (what the ZAP handler named the peer); nil when the
    /// connection has none.
    public func property(_ name: String) -> String? {
        guard let value = zmq_msg_gets(message, name) else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}

/// A ZeroMQ socket that closes itself. Not thread-safe: use it from one
/// thread at a time (a lock around it is enough to share it).
public final class ZMQSocket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    public let type: SocketType
    private let context: ZMQContext
    /// The endpoint last bound or connected, for error messages.
    public private(set) var endpoint: String?

    public init(_ context: ZMQContext, _ type: SocketType) throws {
        guard let handle = zmq_socket(context.handle, type.rawValue) else {
            throw TransportError.zmq(operation: "socket", message: lastError(), endpoint: nil)
        }
        self.handle = handle
        self.type = type
        self.context = context
        try setOption(ZMQ_LINGER, Int32(0))
    }

    deinit { zmq_close(handle) }

    // MARK: Endpoints

    public func bind(_ endpoint: String) throws {
        self.endpoint = endpoint
        guard zmq_bind(handle, endpoint) == 0 else { throw TransportError.zmq(operation: "bind", message: lastError(), endpoint: endpoint) }
    }

    public func connect(_ endpoint: String) throws {
        self.endpoint = endpoint
        guard zmq_connect(handle, endpoint) == 0 else {
            throw TransportError.zmq(operation: "connect", message: lastError(), endpoint: endpoint)
        }
    }

    // MARK: Options

    func setOption(_ option: Int32, _ value: Int32) throws {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw TransportError.zmq(operation: "setsockopt(\(option))", message: lastError(), endpoint: endpoint)
        }
    }

    func setOption(_ option: Int32, _ value: Int64) throws {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size) == 0 else {
            throw TransportError.zmq(operation: "setsockopt(\(option))", message: lastError(), endpoint: endpoint)
        }
    }

    func setOption(_ option: Int32, bytes: [UInt8]) throws {
        guard zmq_setsockopt(handle, option, bytes, bytes.count) == 0 else {
            throw TransportError.zmq(operation: "setsockopt(\(option))", message: lastError(), endpoint: endpoint)
        }
    }

    /// Milliseconds to keep unsent messages after close (default 0).
    public func setLinger(milliseconds: Int) throws { try setOption(ZMQ_LINGER, Int32(milliseconds)) }

    /// High-water marks: messages queued per peer before sends block or drop.
    public func setHighWaterMarks(send: Int, receive: Int) throws {
        try setOption(ZMQ_SNDHWM, Int32(send))
        try setOption(ZMQ_RCVHWM, Int32(receive))
    }

    /// The identity a ROUTER peer sees for this socket (set before connect).
    public func setRoutingID(_ id: [UInt8]) throws { try setOption(ZMQ_ROUTING_ID, bytes: id) }

    /// Largest incoming message accepted; a peer sending more is disconnected
    /// by libzmq before the bytes reach Herd.
    public func setMaximumMessageSize(_ bytes: Int) throws { try setOption(ZMQ_MAXMSGSIZE, Int64(bytes)) }

    /// ZMTP heartbeats: a PING every `interval`; the connection is dropped when
    /// no traffic arrives within `timeout`.
    public func setHeartbeat(intervalMilliseconds: Int, timeoutMilliseconds: Int) throws {
        try setOption(ZMQ_HEARTBEAT_IVL, Int32(intervalMilliseconds))
        try setOption(ZMQ_HEARTBEAT_TIMEOUT, Int32(timeoutMilliseconds))
        try setOption(ZMQ_HEARTBEAT_TTL, Int32(timeoutMilliseconds))
    }

    /// ROUTER only: sending to an unknown peer is an error instead of a silent drop.
    public func setRouterMandatory(_ on: Bool) throws { try setOption(ZMQ_ROUTER_MANDATORY, Int32(on ? 1 : 0)) }

    /// CURVE server side: this socket's secret key (Z85, 40 characters).
    public func setCurveServer(secretKey: String) throws {
        try setOption(ZMQ_CURVE_SERVER, Int32(1))
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(secretKey.utf8))
    }

    /// CURVE client side: this socket's key pair and the server's public key (Z85).
    public func setCurveClient(publicKey: String, secretKey: String, serverKey: String) throws {
        try setOption(ZMQ_CURVE_PUBLICKEY, bytes: Array(publicKey.utf8))
        try setOption(ZMQ_CURVE_SECRETKEY, bytes: Array(secretKey.utf8))
        try setOption(ZMQ_CURVE_SERVERKEY, bytes: Array(serverKey.utf8))
    }

    /// Reports this socket's connection events (``SocketEvent``) to a PAIR
    /// socket that connects to `endpoint` (an `inproc://` name).
    public func monitor(_ endpoint: String, events: Int32) throws {
        guard zmq_socket_monitor(handle, endpoint, events) == 0 else {
            throw TransportError.zmq(operation: "socket_monitor", message: lastError(), endpoint: endpoint)
        }
    }

    // MARK: Sending

    /// Sends the frames as one multipart message. Blocks at the high-water
    /// mark unless `dontWait`, in which case a full queue throws.
    public func send(_ frames: [UnsafeRawBufferPointer], dontWait: Bool = false) throws {
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            while zmq_send(handle, frame.baseAddress, frame.count, flags) < 0 {
                if zmq_errno() == EINTR { continue }
                throw TransportError.zmq(operation: "send", message: lastError(), endpoint: endpoint)
            }
        }
    }

    /// Convenience for `[UInt8]` frames.
    public func send(_ frames: [[UInt8]], dontWait: Bool = false) throws {
        func go(_ index: Int, _ pointers: [UnsafeRawBufferPointer]) throws {
            if index == frames.count { return try send(pointers, dontWait: dontWait) }
            try frames[index].withUnsafeBytes { try go(index + 1, pointers + [$0]) }
        }
        try go(0, [])
    }

    // MARK: Receiving

    /// The next multipart message, or `nil` if none arrives within
    /// `timeoutMilliseconds` (0: don't wait; −1: wait forever).
    public func receive(timeoutMilliseconds: Int) throws -> [Frame]? {
        if timeoutMilliseconds != -1, try !poll(timeoutMilliseconds: timeoutMilliseconds) { return nil }
        var frames: [Frame] = []
        repeat {
            let frame = Frame()
            while zmq_msg_recv(frame.message, handle, 0) < 0 {
                if zmq_errno() == EINTR { continue }
                throw TransportError.zmq(operation: "receive", message: lastError(), endpoint: endpoint)
            }
            frames.append(frame)
        } while zmq_msg_more(frames[frames.count - 1].message) != 0
        return frames
    }

    /// The next multipart message if one is queued now, without a poll
    /// syscall (`ZMQ_DONTWAIT`); `nil` when none is.
    public func tryReceive() throws -> [Frame]? {
        var frames: [Frame] = []
        repeat {
            let frame = Frame()
            while zmq_msg_recv(frame.message, handle, frames.isEmpty ? ZMQ_DONTWAIT : 0) < 0 {
                let code = zmq_errno()
                if code == EINTR { continue }
                if code == EAGAIN, frames.isEmpty { return nil }
                throw TransportError.zmq(operation: "receive", message: lastError(), endpoint: endpoint)
            }
            frames.append(frame)
        } while zmq_msg_more(frames[frames.count - 1].message) != 0
        return frames
    }

    /// Whether a message is ready within the timeout.
    public func poll(timeoutMilliseconds: Int) throws -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        while true {
            let n = zmq_poll(&item, 1, timeoutMilliseconds)
            if n >= 0 { return n > 0 }
            if zmq_errno() == EINTR { continue }
            throw TransportError.zmq(operation: "poll", message: lastError(), endpoint: endpoint)
        }
    }
}

func lastError() -> String { String(cString: zmq_strerror(zmq_errno())) }

/// One event from a socket monitor (`zmq_socket_monitor`, libzmq's version
/// 1 format): the event and its value (a file descriptor, an errno, or a
/// ZAP status code, by event).
public struct SocketEvent: Equatable, Sendable {
    public let event: Int32
    public let value: Int32

    /// The peer's ZAP handler refused the handshake (value: its status code).
    public static let handshakeFailedAuth = Int32(ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
    /// The handshake went through (security included).
    public static let handshakeSucceeded = Int32(ZMQ_EVENT_HANDSHAKE_SUCCEEDED)

    /// A monitor message: its first frame is 2 bytes of event and 4 of
    /// value (little-endian), its second the endpoint. Nil if malformed.
    public init?(_ frames: [Frame]) {
        guard let head = frames.first, head.count >= 6 else { return nil }
        let b = head.byteArray
        event = Int32(b[0]) | Int32(b[1]) << 8
        value = Int32(bitPattern: UInt32(b[2]) | UInt32(b[3]) << 8 | UInt32(b[4]) << 16 | UInt32(b[5]) << 24)
    }
}
