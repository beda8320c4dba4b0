import Foundation
import HerdTransport

/// The pool's ROUTER over ZeroMQ: bound to an `ipc://` endpoint for local
/// workers and, with `listen`, a TCP endpoint for remote ones; with CURVE,
/// a ZAP handler lets in only authorised keys (and the pool's own workers'
/// key pair, made here).
final class ZMQRouterTransport: PoolTransport {
    let context: ZMQContext
    let router: ZMQSocket
    let endpoint: String
    private let authenticator: CurveAuthenticator?
    let localWorkerKeys: CurveKeyPair?

    init(_ configuration: PoolConfiguration) throws {
        // Listening, a second I/O thread: the handshakes of peers that
        // connect again and again (CURVE's key exchanges, each in libzmq's
        // I/O thread) then queue less often in front of the workers that
        // step (benchmarks/hostile_throughput.py against a NaN peer
        // reconnecting 215 times a second: 0.69 of solo with one thread on
        // an idle machine, 0.95 with two; benchmarks/README.md).
        context = ZMQContext(ioThreads: configuration.listen == nil ? 1 : 2)
        router = try ZMQSocket(context, .router)
        try router.setRouterMandatory(true)
        // Frames a little over the limit still arrive, so the peer can be told
        // why it is dropped; libzmq cuts the connection of one far over it.
        try router.setMaximumMessageSize(configuration.limits.maxMessageBytes + max(1 << 20, configuration.limits.maxMessageBytes / 4))
        try router.setHighWaterMarks(send: 10_000, receive: max(configuration.maxPendingMessages, 16))
        endpoint = configuration.endpoint ?? Self.freshIPCEndpoint()
        if let curve = configuration.curve {
            // The handler must answer before the first handshake (libzmq lets
            // everyone in when none is bound), so it starts before bind.
            let auth = try CurveAuthenticator(context: context, authorizedKeys: curve.authorizedKeys,
                                              log: { [logEvents = configuration.logEvents] line in
                                                  if logEvents { FileHandle.standardError.write(Data("herd pool: \(line)\n".utf8)) }
                                              })
            let local = try CurveKeyPair.generate()
            auth.authorize(local.publicKey)
            try router.setCurveServer(secretKey: curve.keys.secretKey)
            try auth.watch(router)
            auth.start()
            authenticator = auth
            localWorkerKeys = local
        } else {
            authenticator = nil
            localWorkerKeys = nil
        }
        try router.bind(endpoint)
        if let listen = configuration.listen { try router.bind(listen) }
    }

    var curveCounts: CurveAuthenticator.Counts? { authenticator?.counts }

    func turnAway(_ source: String, forSeconds seconds: Double) {
        guard source.hasPrefix(TransportMessage.keyPrefix) else { return }
        authenticator?.turnAway(String(source.dropFirst(TransportMessage.keyPrefix.count)), forSeconds: seconds)
    }

    func send(_ payload: [UInt8], to peer: [UInt8], dontWait: Bool) throws {
        try peer.withUnsafeBytes { id in
            try payload.withUnsafeBytes { body in try router.send([id, body], dontWait: dontWait) }
        }
    }

    func receive(timeoutMilliseconds: Int) throws -> TransportMessage? {
        let frames = timeoutMilliseconds == 0 ? try router.tryReceive() : try router.receive(timeoutMilliseconds: timeoutMilliseconds)
        return frames.map { TransportMessage(zmq: $0) }
    }

    func close() {
        authenticator?.stop()
        if endpoint.hasPrefix("ipc://") { unlink(String(endpoint.dropFirst("ipc://".count))) }
    }

    private static let endpointCounter = NSLock()
    nonisolated(unsafe) private static var endpoints = 0

    static func freshIPCEndpoint() -> String {
        let n = endpointCounter.withLock {
            endpoints += 1
            return endpoints
        }
        return "ipc:///tmp/herd-\(getpid())-\(n)-\(UInt32.random(in: 0...UInt32.max)).sock"
    }
}
