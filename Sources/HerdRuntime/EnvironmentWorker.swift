import Foundation
import HerdEnvironments
import HerdTransport

/// The worker side of protocol v2 (`herd env-worker`): connects a DEALER to
/// the learner, says hello, builds what it is assigned, answers `reset` and
/// `actions` with `results`, heartbeats while idle, and exits on `goodbye`,
/// when the learner has been silent past `learnerTimeout`, or when its
/// parent process (a local pool) goes away.
///
/// Malformed frames are dropped and counted, and logged once.
public final class EnvironmentWorker {
    public struct Options: Sendable {
        public var endpoint: String
        /// ROUTER-side identity; the pool passes one so it can tell workers apart.
        public var identity: String?
        public var capacity: UInt32 = 65_536
        public var label: String
        public var heartbeatInterval: Double = 1
        public var learnerTimeout: Double = 30
        /// Exit when the parent process changes (the spawning pool died).
        public var exitWithParent = false
        /// After replying, poll for the next request without sleeping for up
        /// to this many microseconds before blocking (0: block at once).
        public var spinMicroseconds = 0.0
        /// CPUs to run on (the worker and its ZeroMQ I/O thread); empty: any.
        public var cpus: [Int] = []
        public var limits = WireLimits.standard
        /// CURVE: this worker's key pair and the learner's public key; `nil`:
        /// connect without authentication. ``curveFromEnvironment()`` reads
        /// the ones a local pool passes.
        public var curve: (keys: CurveKeyPair, serverKey: String)?

        public init(endpoint: String, identity: String? = nil, label: String) {
            self.endpoint = endpoint
            self.identity = identity
            self.label = label
        }
    }

    public let options: Options
    /// Frames rejected so far.
    public private(set) var badFrames = 0
    private var loggedBadFrame = false
    private var group: EnvironmentGroup?
    /// Whether the learner refused this worker a place before assigning it anything.
    private var refusedBeforeAssign = false
    /// Whether the current assignment has been reset (actions before that are error 3).
    private var hasReset = false
    /// Whether the learner asked for frames (`herd_render`).
    private var renders = false

    public init(options: Options) { self.options = options }

    /// The CURVE keys a local pool passes its workers in the environment
    /// (`HERD_CURVE_SECRET_KEY`, `HERD_CURVE_SERVER_KEY`), if any.
    public static func curveFromEnvironment() throws -> (keys: CurveKeyPair, serverKey: String)? {
        let environment = ProcessInfo.processInfo.environment
        guard let secret = environment["HERD_CURVE_SECRET_KEY"], let server = environment["HERD_CURVE_SERVER_KEY"] else { return nil }
        guard CurveKeyPair.isZ85Key(server) else { throw CurveKeyError.malformed(file: "HERD_CURVE_SERVER_KEY", "is not a 40-character Z85 key") }
        return (try CurveKeyPair(secretKey: secret), server)
    }

    /// `herd env-worker`'s exit status when the learner refused it a place (EX_TEMPFAIL).
    public static let refusedExitStatus: Int32 = 75

    /// Why the loop ended.
    public enum Exit: Equatable, Sendable {
        case goodbye, learnerSilent, parentGone
        /// The learner refused the worker a place (`error` 5 before any
        /// `assign`, then goodbye): no room now; worth trying again soon.
        case refused
        /// The learner speaks another protocol version.
        case learnerVersion(UInt16)
        /// The learner failed this worker's CURVE handshake (ZAP 400):
        /// its key is not authorised, or admission control bars it for a
        /// while; libzmq does not try again.
        case keyRefused
    }

    /// Runs until goodbye, silence or orphaning. Throws only for socket
    /// failures it cannot go on from (a bad endpoint).
    public func run() throws -> Exit {
        // Before the context exists, so its I/O thread inherits the placement.
        if !options.cpus.isEmpty, !pinCurrentThread(to: options.cpus) { log("could not pin to CPUs \(options.cpus)") }
        let context = ZMQContext()
        let socket = try ZMQSocket(context, .dealer)
        if let identity = options.identity { try socket.setRoutingID(Array(identity.utf8)) }
        try socket.setMaximumMessageSize(options.limits.maxMessageBytes)
        try socket.setHighWaterMarks(send: 1000, receive: 1000)
        // With CURVE, a monitor tells a handshake the learner failed
        // (libzmq then gives up on the connection) from a learner not there yet.
        var handshakes: ZMQSocket?
        if let curve = options.curve {
            try socket.setCurveClient(publicKey: curve.keys.publicKey, secretKey: curve.keys.secretKey, serverKey: curve.serverKey)
            let endpoint = "inproc://herd-worker-handshakes-\(getpid())"
            try socket.monitor(endpoint, events: SocketEvent.handshakeFailedAuth)
            let pair = try ZMQSocket(context, .pair)
            try pair.connect(endpoint)
            handshakes = pair
        }
        try socket.connect(options.endpoint)
        let parent = getppid()
        try send(socket, .hello(Hello(capacity: options.capacity, pid: UInt32(getpid()), label: options.label)), sequence: 0)
        var lastHeard = Date()
        // With a parent to watch, wake every 50 ms: a killed daemon's idle
        // workers then leave within that, so their places are free when the
        // daemon's successor asks for them.
        let slice = Int(min(options.heartbeatInterval, options.exitWithParent ? 0.05 : 0.25) * 1000)
        var lastSent = Date()
        var lastParentCheck = Date()
        while true {
            guard let frames = try nextFrames(socket, timeoutMilliseconds: slice) else {
                if options.exitWithParent, getppid() != parent { return .parentGone }
                if let monitor = handshakes, let event = try monitor.tryReceive().flatMap(SocketEvent.init),
                   event.event == SocketEvent.handshakeFailedAuth { return .keyRefused }
                if Date().timeIntervalSince(lastHeard) > options.learnerTimeout { return .learnerSilent }
                if Date().timeIntervalSince(lastSent) >= options.heartbeatInterval {
                    try send(socket, .heartbeat, sequence: 0)
                    lastSent = Date()
                }
                continue
            }
            lastHeard = Date()
            // A busy worker checks on its parent too (at most every 0.05 s), so a
            // killed daemon's workers leave the learner instead of serving on.
            if options.exitWithParent, lastHeard.timeIntervalSince(lastParentCheck) > 0.05 {
                lastParentCheck = lastHeard
                if getppid() != parent { return .parentGone }
            }
            guard frames.count == 1 else {
                reject("a message of \(frames.count) frames (expected 1)")
                continue
            }
            let decoded: (message: WireMessage, sequence: UInt64)
            do {
                decoded = try frames[0].withBytes { try WireCodec.decode($0, limits: options.limits) }
            } catch ProtocolError.unsupportedVersion(let version, _) {
                return .learnerVersion(version)
            } catch {
                reject("\(error)")
                continue
            }
            if let reply = handle(decoded.message) {
                if case .results = reply, renders, let image = group?.environments.first?.renderedImage() {
                    try send(socket, .frame(RenderedFrame(index: 0, height: UInt32(image.height), width: UInt32(image.width),
                                                          pixels: image.pixels)), sequence: decoded.sequence)
                }
                try send(socket, reply, sequence: decoded.sequence)
                lastSent = Date()
            }
            if case let .error(error) = decoded.message, error.code == .refused, group == nil { refusedBeforeAssign = true }
            if case .goodbye = decoded.message { return refusedBeforeAssign ? .refused : .goodbye }
        }
    }

    /// The reply to one message, if it has one.
    func handle(_ message: WireMessage) -> WireMessage? {
        switch message {
        case let .assign(assign):
            do {
                var settings = try SettingsJSON.decode(assign.settingsJSON)
                // herd_render: send a frame of the first environment before each results (PROTOCOL.md).
                renders = settings.removeValue(forKey: "herd_render") != nil
                let built = try EnvironmentGroup(environment: assign.environment, settings: settings, seeds: assign.seeds,
                                                 observationEncoding: assign.observationEncoding)
                group = built
                hasReset = false
                return .ready(built.ready)
            } catch {
                return .error(WireError(code: .buildFailed, message: "\(error)"))
            }
        case .reset:
            guard let group else { return .error(WireError(code: .badMessage, message: "reset before assign")) }
            hasReset = true
            return .results(group.reset())
        case let .actions(actions):
            guard let group else { return .error(WireError(code: .badMessage, message: "actions before assign")) }
            guard hasReset else { return .error(WireError(code: .badMessage, message: "actions before the first reset")) }
            guard actions.environmentCount == group.count, actions.actionSize == group.actionSpace.flatCount else {
                reject("actions for \(actions.environmentCount) × \(actions.actionSize), this worker hosts \(group.count) × \(group.actionSpace.flatCount)")
                return .error(WireError(code: .badMessage, message: "actions of the wrong shape"))
            }
            do {
                return .results(try group.step(actions.values))
            } catch {
                return .error(WireError(code: .invalidAction, message: "\(error)"))
            }
        case .heartbeat, .goodbye:
            return nil
        case let .error(error) where error.code == .refused || error.code == .limitExceeded:
            log("the learner \(error.code == .refused ? "refused" : "disconnected") this worker: \(error.message)")
            return nil
        case .hello, .ready, .results, .error, .frame:
            reject("unexpected \(message.kind) from the learner")
            return nil
        }
    }

    /// The next message: polled without sleeping for up to `spinMicroseconds`,
    /// then waited for up to `timeoutMilliseconds`.
    private func nextFrames(_ socket: ZMQSocket, timeoutMilliseconds: Int) throws -> [Frame]? {
        if options.spinMicroseconds > 0 {
            let until = DispatchTime.now().uptimeNanoseconds + UInt64(options.spinMicroseconds * 1000)
            repeat {
                if let frames = try socket.tryReceive() { return frames }
            } while DispatchTime.now().uptimeNanoseconds < until
        }
        return try socket.receive(timeoutMilliseconds: timeoutMilliseconds)
    }

    private func send(_ socket: ZMQSocket, _ message: WireMessage, sequence: UInt64) throws {
        let frame = WireCodec.encode(message, sequence: sequence)
        try frame.withUnsafeBytes { try socket.send([$0]) }
    }

    private func reject(_ reason: String) {
        badFrames += 1
        if !loggedBadFrame {
            loggedBadFrame = true
            log("dropped a bad frame from the learner (further ones are counted, not logged): \(reason)")
        }
    }

    public func log(_ line: String) {
        FileHandle.standardError.write(Data("herd env-worker \(options.label): \(line)\n".utf8))
    }
}
