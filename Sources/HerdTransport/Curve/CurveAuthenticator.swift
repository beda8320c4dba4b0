import CZeroMQ
import Foundation

/// Lets into a CURVE server socket only clients whose public key is
/// authorised, and counts and logs everyone it keeps out with their address.
///
/// It is libzmq's ZAP handler (ZeroMQ RFC 27) for one context: a ROUTER
/// socket at `inproc://zeromq.zap.01` answering each CURVE handshake's
/// request with 200 (the client's 32-byte key is authorised) or 400. A key
/// the pool has turned away for a while is held: its request is answered
/// when the bar ends (200) or after ``holdSeconds`` (400), whichever comes
/// first, so a peer that waits for its answer and then reconnects costs one
/// key exchange per hold, not hundreds a second. (A client that hangs up
/// early and reconnects costs a key exchange per connection, as any CURVE
/// client does, whatever its key: that is for a connection-rate limit at
/// the network to stop.) Clients that fail
/// before ZAP is asked (no CURVE at all, a wrong server key, garbage) are
/// seen through a monitor on the server socket: a failed handshake followed
/// by the connection's close, whose peer address was taken when it was
/// accepted. Refused clients never reach the server socket's messages.
///
/// Start it before the server socket binds, so that no handshake happens
/// without it (libzmq lets every client in when no handler is bound).
public final class CurveAuthenticator: @unchecked Sendable {
    /// What was kept out, for counters and tests.
    public struct Counts: Equatable, Sendable {
        /// Handshakes with an authorised key.
        public var accepted = 0
        /// CURVE clients with a key that is not authorised.
        public var unknownKey = 0
        /// Clients whose handshake failed before authentication (no CURVE,
        /// a wrong server key, not ZeroMQ at all).
        public var failedHandshake = 0
        /// Handshakes of an authorised key turned away while the pool's
        /// admission control bars it (``turnAway(_:forSeconds:)``), each
        /// after a hold.
        public var turnedAway = 0
        /// Handshakes being held now.
        public var held = 0

        /// Clients kept out because of who they are: an unknown key or a
        /// failed handshake (not the authorised ones turned away for a while).
        public var refused: Int { unknownKey + failedHandshake }
    }

    public static let zapEndpoint = "inproc://zeromq.zap.01"

    private let lock = NSLock()
    private var authorized: Set<[UInt8]>
    /// Authorised keys turned away until a time (monotonic seconds).
    private var awayUntil: [[UInt8]: Double] = [:]
    /// Requests of barred keys waiting for their answer, soonest first.
    private var holding: [Held] = []
    private struct Held {
        var due: Double
        /// When the hold began: it ends by `started + holdSeconds` whatever the bar.
        var started: Double
        var envelope: [UInt8]
        var requestID: [UInt8]
        var key: [UInt8]
        /// The client's IP (ZAP gives no port).
        var host: String
    }
    /// The longest a barred key's handshake is held before it fails, at
    /// most 25 s: under libzmq's handshake timeout (`ZMQ_HANDSHAKE_IVL`,
    /// 30 s), after which the server would drop the connection itself.
    /// Set before `start()`.
    public var holdSeconds: Double {
        get { holdLimit }
        set { holdLimit = min(max(newValue, 0), 25) }
    }
    private var holdLimit: Double = 5
    /// At most this many handshakes are held, and at most ``maxHeldPerKey``
    /// of one key (each is an open connection, a file descriptor); beyond,
    /// a barred key's handshake fails at once.
    public static let maxHeld = 256
    public static let maxHeldPerKey = 8
    private var tally = Counts()
    private var logged: Set<String> = []
    private let zap: ZMQSocket
    private let context: ZMQContext
    private var monitors: [ZMQSocket] = []
    private var addresses: [Int32: String] = [:]
    private var pendingFailures = 0
    private var stopping = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)
    /// One line per new refused address and reason.
    public var log: @Sendable (String) -> Void

    /// `authorizedKeys` are Z85 public keys.
    public init(context: ZMQContext, authorizedKeys: Set<String>, log: @escaping @Sendable (String) -> Void) throws {
        self.context = context
        self.log = log
        authorized = Set(authorizedKeys.compactMap(CurveKeyPair.z85Decode))
        zap = try ZMQSocket(context, .router)
        try zap.setRouterMandatory(true)
        try zap.bind(Self.zapEndpoint)
    }

    deinit { stop() }

    /// Authorises one more public key (e.g. the pool's own local workers').
    public func authorize(_ publicKey: String) {
        guard let bytes = CurveKeyPair.z85Decode(publicKey) else { return }
        lock.withLock { _ = authorized.insert(bytes) }
    }

    /// Turns away the handshakes of `publicKey` (Z85) for `seconds`
    /// although the key is authorised: each is held until the bar ends
    /// (then let in) or for ``holdSeconds`` (then failed with ZAP 400).
    /// The pool calls it for a key its admission control bars, after
    /// telling that key's peer once with `error` 5 when to come back, so
    /// that a peer reconnecting in a loop costs the learner a key exchange
    /// per connection (one per hold if it waits for its answer), not a
    /// session, a `hello` and a refusal each time.
    /// Bounded: at 4096 keys the expired ones go.
    public func turnAway(_ publicKey: String, forSeconds seconds: Double) {
        guard let bytes = CurveKeyPair.z85Decode(publicKey), seconds > 0 else { return }
        let now = Self.now()
        lock.withLock {
            if awayUntil[bytes] == nil, awayUntil.count >= 4096 { awayUntil = awayUntil.filter { $0.value > now } }
            awayUntil[bytes] = max(awayUntil[bytes] ?? 0, now + seconds)
        }
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Watches `socket`'s handshakes for clients refused before ZAP.
    /// Call before `start()`.
    public func watch(_ socket: ZMQSocket) throws {
        let endpoint = "inproc://herd-curve-monitor-\(monitors.count)-\(UInt32.random(in: 0...UInt32.max))"
        try socket.monitor(endpoint, events: Int32(ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED
                                                   | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL))
        let pair = try ZMQSocket(context, .pair)
        try pair.connect(endpoint)
        monitors.append(pair)
    }

    public var counts: Counts { lock.withLock { tally } }

    /// Starts answering on a thread of its own.
    public func start() {
        let thread = Thread { [self] in
            while !lock.withLock({ stopping }) { serveOnce(timeoutMilliseconds: 100) }
            done.signal()
        }
        thread.name = "herd-curve-auth"
        self.thread = thread
        thread.start()
    }

    /// Stops the thread (the sockets close with the object).
    public func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping && thread != nil
        }
        if wasRunning { done.wait() }
    }

    private func serveOnce(timeoutMilliseconds: Int) {
        var items = [zmq_pollitem_t(socket: zap.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)]
            + monitors.map { zmq_pollitem_t(socket: $0.handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        var timeout = timeoutMilliseconds
        if let next = holding.first { timeout = min(timeout, max(0, Int(((next.due - Self.now()) * 1000).rounded(.up)))) }
        defer { releaseDue() }
        guard zmq_poll(&items, Int32(items.count), timeout) > 0 else { return }
        if items[0].revents & Int16(ZMQ_POLLIN) != 0, let request = try? zap.receive(timeoutMilliseconds: 0) {
            answer(request)
        }
        for (i, monitor) in monitors.enumerated() where items[i + 1].revents & Int16(ZMQ_POLLIN) != 0 {
            if let event = try? monitor.receive(timeoutMilliseconds: 0) { observe(event) }
        }
    }

    /// A ZAP request, after the ROUTER's envelope (the session's routing
    /// id and an empty frame): version, request id, domain, address,
    /// routing id, mechanism, then the mechanism's credentials (CURVE: the
    /// client's key).
    private func answer(_ frames: [Frame]) {
        guard frames.count >= 8, frames[1].count == 0 else { return }
        let envelope = Array(frames[0].data)
        let requestID = Array(frames[3].data)
        let address = String(decoding: frames[5].data, as: UTF8.self)
        let mechanism = String(decoding: frames[7].data, as: UTF8.self)
        let key = frames.count > 8 ? Array(frames[8].data) : []
        let known = mechanism == "CURVE" && key.count == 32 && lock.withLock { authorized.contains(key) }
        guard known else {
            lock.withLock { tally.unknownKey += 1 }
            let who = key.count == 32 ? "key \(CurveKeyPair.z85Encode(key))" : "mechanism \(mechanism)"
            refusedOnce(address: address, "\(who) is not authorised")
            reply(envelope, requestID, key: key, allowed: false, reason: "not authorised")
            return
        }
        let now = Self.now()
        guard let until = barredUntil(key, now: now) else {
            lock.withLock { tally.accepted += 1 }
            reply(envelope, requestID, key: key, allowed: true, reason: "OK")
            return
        }
        // A key turned away is not logged here: the pool logged why when it
        // refused that key's last hello, and counts the rest.
        guard holding.count < Self.maxHeld, holding.lazy.filter({ $0.key == key }).count < Self.maxHeldPerKey else {
            lock.withLock { tally.turnedAway += 1 }
            reply(envelope, requestID, key: key, allowed: false, reason: "barred for now")
            return
        }
        enqueue(Held(due: min(until, now + holdLimit), started: now, envelope: envelope, requestID: requestID, key: key, host: address))
    }

    private func enqueue(_ request: Held) {
        holding.insert(request, at: holding.firstIndex { $0.due > request.due } ?? holding.count)
        lock.withLock { tally.held = holding.count }
    }

    /// Answers the held requests that are due: let in if the bar has
    /// ended, failed if the hold has; a request whose bar was extended
    /// meanwhile waits on, to the end of its hold at most. A request whose
    /// client hung up meanwhile gets no answer (the send finds no session)
    /// and counts as turned away.
    private func releaseDue() {
        guard !holding.isEmpty else { return }
        let now = Self.now()
        let due = holding.prefix { $0.due <= now }
        guard !due.isEmpty else { return }
        holding.removeFirst(due.count)
        var answers: [(Held, Bool)] = []
        for var request in due {
            let until = barredUntil(request.key, now: now)
            if let until, request.started + holdLimit > now {
                request.due = min(until, request.started + holdLimit)
                enqueue(request)
            } else {
                answers.append((request, until == nil))
            }
        }
        lock.withLock { tally.held = holding.count }
        for (request, allowed) in answers {
            let delivered = reply(request.envelope, request.requestID, key: request.key, allowed: allowed,
                                  reason: allowed ? "OK" : "barred for now")
            lock.withLock { if allowed && delivered { tally.accepted += 1 } else { tally.turnedAway += 1 } }
        }
    }

    /// When `key`'s bar ends, or nil when it is not barred (an ended bar is forgotten).
    private func barredUntil(_ key: [UInt8], now: Double) -> Double? {
        lock.withLock {
            guard let until = awayUntil[key] else { return nil }
            if until > now { return until }
            awayUntil[key] = nil
            return nil
        }
    }

    /// Whether the answer reached the handshake's session (the socket is
    /// ROUTER_MANDATORY: a client that hung up has none).
    @discardableResult
    private func reply(_ envelope: [UInt8], _ requestID: [UInt8], key: [UInt8], allowed: Bool, reason: String) -> Bool {
        // The user id names an admitted client by its public key (Z85): its
        // messages carry it as the "User-Id" property, which the pool's
        // admission control counts by.
        let userID = allowed ? Array(CurveKeyPair.z85Encode(key).utf8) : []
        return (try? zap.send([envelope, [], Array("1.0".utf8), requestID, Array((allowed ? "200" : "400").utf8),
                               Array(reason.utf8), userID, []], dontWait: true)) != nil
    }

    /// A monitor event of the server socket.
    private func observe(_ frames: [Frame]) {
        guard let event = SocketEvent(frames) else { return }
        let value = event.value
        switch event.event {
        case Int32(ZMQ_EVENT_ACCEPTED):
            addresses[value] = peerAddress(of: value) ?? "an address that was gone before it was read"
        case Int32(ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL), Int32(ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL):
            // The value is an errno, not the connection: the close that
            // follows names it.
            pendingFailures += 1
        case Int32(ZMQ_EVENT_DISCONNECTED):
            let address = addresses.removeValue(forKey: value) ?? "an unknown address"
            if pendingFailures > 0 {
                pendingFailures -= 1
                // A barred key's peer that hung up while its handshake was
                // held is not a refusal: it was turned away, and its held
                // request goes at once, so that it holds no place under the
                // caps. ZAP names the IP only, so this goes by host and
                // takes the longest held request of that host (should that
                // be another client, still waiting, it gets no answer and
                // libzmq's handshake timeout ends its connection).
                let host = Self.host(of: address)
                if let index = holding.indices.filter({ holding[$0].host == host }).min(by: { holding[$0].started < holding[$1].started }) {
                    holding.remove(at: index)
                    lock.withLock {
                        tally.held = holding.count
                        tally.turnedAway += 1
                    }
                    return
                }
                lock.withLock { tally.failedHandshake += 1 }
                refusedOnce(address: address, "its handshake failed (no CURVE key, or the wrong server key)")
            }
        default:
            break
        }
    }

    /// Logs the first refusal per host and reason (a refused client
    /// reconnects from a new port every few hundred milliseconds).
    private func refusedOnce(address: String, _ reason: String) {
        let host = Self.host(of: address)
        let first = lock.withLock { logged.insert(host + "\u{0}" + reason).inserted }
        if first { log("refused a client at \(address.isEmpty ? "a local (ipc) socket" : address): \(reason) (further refusals from that host are counted, not logged)") }
    }

    /// The IP of `HOST:PORT` or `[HOST]:PORT`, as ZAP gives it.
    private static func host(of address: String) -> String {
        address.hasPrefix("[") ? String(address.dropFirst().prefix { $0 != "]" }) : String(address.prefix { $0 != ":" })
    }

    /// `HOST:PORT` of a TCP peer, "" for a local (ipc) one; nil when the
    /// connection closed before its address could be read.
    private func peerAddress(of fd: Int32) -> String? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        guard Int32(storage.ss_family) != AF_UNIX else { return "" }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST)), port = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &port, socklen_t(port.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return nil }
        let text = String(cString: host)
        return Int32(storage.ss_family) == AF_INET6 ? "[\(text)]:\(String(cString: port))" : "\(text):\(String(cString: port))"
    }
}
