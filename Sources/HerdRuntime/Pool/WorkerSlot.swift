import HerdTransport

/// The pool's view of one worker: a local process or a remote place. The
/// pool (under its lock) is its one owner; times are ``PoolClock`` seconds.
final class WorkerSlot {
    enum Phase: Equatable, CustomStringConvertible {
        /// Spawned; waiting for hello, then ready.
        case starting
        /// Ready and not working on anything.
        case idle
        /// Working on the request with this sequence number since `since`.
        case awaiting(sequence: UInt64, since: Double, isReset: Bool)
        /// A remote place with no worker.
        case vacant

        /// In words, for log lines and errors.
        var description: String {
            switch self {
            case .starting: return "starting"
            case .idle: return "idle"
            case let .awaiting(sequence, _, isReset): return "waiting for its answer to \(isReset ? "reset" : "actions") \(sequence)"
            case .vacant: return "vacant"
            }
        }
    }

    let index: Int
    let firstEnvironment: Int
    let count: Int
    var incarnation = 0
    var process: WorkerProcess?
    var phase = Phase.starting
    /// Results received and not yet handed out.
    var completed: Results?
    /// Results to hand out instead of stepping, after a replacement while idle.
    var interruptedResults: Results?
    /// The latest observation the pool has seen for each environment.
    var lastObservations = ObservationBlock([])
    /// The newest `frame` of its first environment (pools that render).
    var lastFrame: RenderedFrame?
    /// A failure that stops the pool's caller (a worker that cannot start,
    /// or one that keeps reporting errors): thrown by the next pump.
    var failure: String?
    /// A local worker to replace at the next supervision (it reported an error).
    var replaceReason: String?
    /// Failures of this place (errors, unusable results, exits after ready)
    /// close together: the count starts over once the place has answered
    /// ``stepsThatForgive`` steps since the last one.
    private(set) var failureStreak = 0
    private var stepsSinceFailure = 0
    static let stepsThatForgive = 100

    /// Counts a failure; returns the streak it makes.
    func noteFailure() -> Int {
        failureStreak += 1
        stepsSinceFailure = 0
        return failureStreak
    }

    /// Counts an answered step (not a reset: a replacement's reset does not show the worker works).
    func noteStep() {
        stepsSinceFailure += 1
        if stepsSinceFailure >= Self.stepsThatForgive { failureStreak = 0 }
    }

    /// The end of an error message for a streak that stops the pool.
    static func streakNote(_ streak: Int) -> String {
        "(failure \(streak) of this worker place, each within \(stepsThatForgive) steps of the one before; a replacement would fail again)"
    }
    /// Replaced since its last results were handed out (see ``Batch/restartedEnvironments``).
    var restartedSinceHandout = false
    /// A place for a worker from another machine (no process of ours).
    let isRemote: Bool
    /// The remote worker's ZeroMQ identity, while one holds the place.
    var remoteIdentity: [UInt8]?
    /// The remote worker's `hello` label (`host:pid`).
    var remoteLabel = ""
    /// When the remote worker was last heard from.
    var lastHeard: Double
    /// The remote worker's admission source (``TransportMessage/source``).
    var remoteSource: String?
    /// Results the current remote worker delivered since it took the place
    /// (``Admission/healthySteps`` of them make a place served well).
    var servedResults = 0
    /// The box its worker declared at `ready` that its observations lie in.
    var observationBounds: ObservationBounds?

    init(index: Int, firstEnvironment: Int, count: Int, isRemote: Bool = false, now: Double) {
        self.index = index
        self.firstEnvironment = firstEnvironment
        self.count = count
        self.isRemote = isRemote
        lastHeard = now
        if isRemote { phase = .vacant }
    }

    var identity: [UInt8] { isRemote ? remoteIdentity ?? [] : Array("w\(index).\(incarnation)".utf8) }
    var name: String {
        isRemote ? "\(index) (remote \(remoteLabel.isEmpty ? "-" : remoteLabel))" : "\(index) (pid \(process.map { "\($0.pid)" } ?? "-"))"
    }
    /// Holds a worker that has said hello (local, or remote and not vacant).
    var isOccupied: Bool { phase != .vacant }
    /// Occupied by a worker that batches may wait for: a local worker once
    /// it is ready, a remote one once it has served ``Admission/healthySteps``
    /// results since it took the place. A newcomer's results are used as
    /// they come, but a peer that answers its reset and then is slow, silent
    /// or sent away at its first step must not hold every batch to its deadline.
    var isWaitedFor: Bool { isRemote ? phase != .vacant && servedResults >= Admission.healthySteps : phase != .starting }
    var environmentIDs: Range<Int> { firstEnvironment..<(firstEnvironment + count) }
    var isAwaiting: Bool { if case .awaiting = phase { return true } else { return false } }
}
