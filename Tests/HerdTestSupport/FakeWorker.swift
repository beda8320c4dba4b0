import Foundation
import HerdRuntime
import HerdTransport

/// A worker that follows the protocol in process, for pool tests: it says
/// hello when started (or when it joins as a remote worker), builds `k`
/// environments on assign, and answers every reset and step at once
/// (unless told to ``hang``). Environment `i`'s observation is
/// `[i, steps so far]` (observation size 2); every step gives reward 1.
/// As a ``WorkerProcess`` it can be killed; it then leaves the transport.
public final class FakeWorker: LoopbackPeer, WorkerProcess {
    public let identity: [UInt8]
    public let pid: pid_t
    public var capacity: UInt32
    /// Stop answering requests (a hung or SIGSTOPped process); heartbeats still count.
    public var hang = false
    /// Answer the next request this many seconds late (on the clock).
    public var delay = 0.0
    /// Die (as `kill -9`) once the clock reaches this time.
    public var dieAt: Double?
    /// The discrete action count its `ready` reports.
    public var discreteActions: UInt32 = 2
    /// Answer `assign` with this error instead of `ready`.
    public var errorOnAssign: WireError?
    /// Answer `actions` with this error instead of results.
    public var errorOnActions: WireError?
    /// Send this reward (for every environment) in results to `actions`.
    public var stepReward: Double = 1
    /// Send this as the first value of every observation in results to `actions`.
    public var stepObservation: Float?
    /// The box it declares at ready (none by default).
    public var observationBounds: ObservationBounds?
    public private(set) var heartbeats = 0
    public private(set) var requests: [WireMessage] = []
    public private(set) var running = true
    public private(set) var assigned: Assign?
    private var steps: [Int] = []
    private var pending: (due: Double, sequence: UInt64)?

    public init(identity: [UInt8], pid: pid_t, capacity: UInt32 = 1024) {
        self.identity = identity
        self.pid = pid
        self.capacity = capacity
    }

    /// Connects and says hello.
    public func start(on transport: LoopbackTransport, label: String = "fake") {
        transport.connect(self)
        transport.deliver(.hello(Hello(capacity: capacity, pid: UInt32(pid), label: label)), from: identity)
    }

    public func receive(_ message: WireMessage, sequence: UInt64, transport: LoopbackTransport) {
        guard running else { return }
        switch message {
        case let .assign(assign):
            if let errorOnAssign { return transport.deliver(.error(errorOnAssign), from: identity) }
            assigned = assign
            steps = Array(repeating: 0, count: assign.seeds.count)
            transport.deliver(.ready(Ready(environmentCount: UInt32(steps.count), observationSize: 2, actionSize: 1, actionKind: 0,
                                           discreteActions: discreteActions, observationShape: [2],
                                           observationBounds: observationBounds)), from: identity)
        case .reset:
            requests.append(message)
            steps = steps.map { _ in 0 }
            answer(sequence, transport)
        case .actions:
            requests.append(message)
            if let errorOnActions { return transport.deliver(.error(errorOnActions), sequence: sequence, from: identity) }
            steps = steps.map { $0 + 1 }
            answer(sequence, transport)
        case .heartbeat:
            heartbeats += 1
        case .goodbye:
            running = false
            transport.disconnect(identity)
        default:
            break
        }
    }

    private func answer(_ sequence: UInt64, _ transport: LoopbackTransport) {
        guard !hang else { return }
        if delay > 0 {
            pending = (transport.clock.now() + delay, sequence)
            return
        }
        transport.deliver(.results(results), sequence: sequence, from: identity)
    }

    public func tick(now: Double, transport: LoopbackTransport) {
        if let dieAt, now >= dieAt, running { return die() }
        if let due = pending, now >= due.due, running, !hang {
            pending = nil
            transport.deliver(.results(results), sequence: due.sequence, from: identity)
        }
    }

    /// Results for every environment as they are now.
    public var results: Results {
        let first = Int(assigned?.firstEnvironmentID ?? 0)
        let stepped = steps.contains { $0 > 0 }
        return Results(environmentCount: UInt32(steps.count), observationSize: 2,
                       observations: steps.enumerated().flatMap {
                           [stepped ? stepObservation ?? Float(first + $0.offset) : Float(first + $0.offset), Float($0.element)]
                       },
                       rewards: steps.map { _ in stepped ? stepReward : 1 }, terminated: steps.map { _ in false }, truncated: steps.map { _ in false },
                       finalObservations: [])
    }

    // MARK: WorkerProcess

    public var isRunning: Bool { running }
    public var status: Int32? { running ? nil : 9 }
    public func send(_ signal: Int32) { if signal == SIGKILL { die() } }
    public func terminate() { die() }
    public func waitForExit(timeout: Double) -> Bool { !running }

    /// Exits at once, as `kill -9` (nothing said).
    public func die() {
        running = false
        onDeath?(identity)
    }

    var onDeath: (([UInt8]) -> Void)?
}

/// Starts ``FakeWorker``s on a loopback transport instead of processes.
public final class FakeLauncher: WorkerLauncher {
    public let transport: LoopbackTransport
    public private(set) var workers: [FakeWorker] = []
    /// Applied to each worker before it says hello.
    public var configure: (FakeWorker) -> Void = { _ in }

    public init(transport: LoopbackTransport) { self.transport = transport }

    public func launch(_ launch: WorkerLaunch) throws -> WorkerProcess {
        let worker = FakeWorker(identity: launch.identity, pid: pid_t(100_000 + workers.count))
        worker.onDeath = { [weak transport] in transport?.disconnect($0) }
        workers.append(worker)
        configure(worker)
        worker.start(on: transport)
        return worker
    }

    /// The workers still running, in launch order.
    public var running: [FakeWorker] { workers.filter(\.running) }
}
