import Foundation
import HerdEnvironments
import HerdTransport

/// Environments in worker processes, stepped over ZeroMQ.
///
/// The pool binds a ROUTER, spawns `workers` processes hosting
/// `environmentsPerWorker` environments each, and offers:
///
/// - synchronous stepping (BatchPPO's mode): ``reset()`` and ``step(_:)``
///   over every environment in lockstep;
/// - asynchronous stepping (EnvPool's, for SEED-style inference):
///   ``send(_:environmentIDs:)`` for whole workers and ``receive(batchSize:)``,
///   which returns as soon as `batchSize` environments have results.
///
/// Supervision: a worker that exits or is killed is noticed within a
/// heartbeat interval, and one that does not answer a request within
/// `stepTimeout` (a hung or stopped process) is killed; either is replaced
/// by a new process whose environments are reset. Episodes it interrupted are
/// reported as truncated, with the last observation the pool saw as their
/// final observation; nothing is silently lost and no call waits forever.
///
/// Thread-safe: calls are serialised by a lock, which a background thread
/// also takes to send heartbeats and supervise while the learner computes.
///
/// The pool is a few parts with one owner each: ``WorkerSlot`` (one
/// worker's state), dispatch of incoming messages (`ProcessPool+Dispatch`),
/// limits and bans (``PeerBook``, `ProcessPool+Limits`), remote places
/// (`ProcessPool+RemotePlaces`), supervision and replacement
/// (`ProcessPool+Supervision`) and heartbeats (`ProcessPool+Heartbeats`).
/// Its wire is a ``PoolTransport``, its workers come from a
/// ``WorkerLauncher`` and its time from a ``PoolClock``: tests put an
/// in-process loopback, fake workers and a fake clock there.
public final class ProcessPool: @unchecked Sendable {
    public let configuration: PoolConfiguration
    let lock = NSLock()
    let transport: PoolTransport
    let launcher: WorkerLauncher
    let clock: PoolClock
    public var endpoint: String { transport.endpoint }
    var slots: [WorkerSlot] = []
    var completionOrder: [Int] = []
    var sequence: UInt64 = 0
    var closed = false
    var lastSupervision = -Double.infinity
    var lastHeartbeat = -Double.infinity
    var heartbeatThread: Thread?

    /// Shapes agreed by the workers' `ready`.
    public internal(set) var observationSize = 0
    public internal(set) var observationShape: [Int] = []
    /// How observations arrive (every worker agrees at `ready`).
    public internal(set) var observationDType = ObservationDType.f32
    /// Observation bytes received in `results` (rows and final observations):
    /// what the wire dtype saves is measured here.
    public internal(set) var observationBytesReceived = 0
    public internal(set) var actionSize = 0
    /// Discrete action count, or `nil` for Box actions.
    public internal(set) var discreteActions: Int?

    /// Workers replaced so far.
    public internal(set) var workersReplaced = 0
    /// Incoming frames dropped as malformed or unexpected.
    public internal(set) var badFrames = 0
    /// A failure supervision met on the heartbeat thread, thrown by the next pump.
    var pendingFailure: Error?
    /// Where event lines go instead of standard error (tests read them).
    var logSink: ((String) -> Void)?
    /// `error` messages received from workers (each worker replaced or its place freed).
    public internal(set) var workerErrors = 0
    /// Remote workers that joined, that were lost (silent, hung or gone),
    /// and that were refused (no free place, too little capacity).
    public internal(set) var remoteJoined = 0
    public internal(set) var remoteLost = 0
    public internal(set) var remoteRefused = 0
    /// Environments of lost remote workers, to name in the next batch.
    var lostEnvironments: Set<Int> = []
    /// The endpoint remote workers connect to, if any.
    public var listenEndpoint: String? { configuration.listen }
    /// Out-of-turn counts, bans and logged peers (remote and unknown peers).
    var peers = PeerBook()
    /// Remote peers disconnected for going over a limit.
    public internal(set) var peersOverLimit = 0
    /// Who may take a remote place, and when (rate and backoff per source).
    var admission: Admission
    /// Remote hellos refused by admission control (also in ``remoteRefused``).
    public var admissionRefused: Int { lock.withLock { admission.refusals } }
    /// Places freed because a newcomer's hello found their worker's
    /// connection closed, or found its own source's place silent.
    public internal(set) var placesReclaimed = 0
    /// The source of the message being dispatched (``TransportMessage/source``),
    /// for the log's per-source limit.
    var dispatchingSource: String?
    /// When places were last probed for closed connections.
    var lastReclaim = -Double.infinity
    public var curveCounts: CurveAuthenticator.Counts? { transport.curveCounts }

    public var environmentCount: Int { configuration.environmentCount }

    /// Binds the ZeroMQ ROUTER, spawns the local workers and waits until
    /// they are ready (with no local workers, until a remote one is).
    public convenience init(_ configuration: PoolConfiguration) throws {
        if configuration.workers > 0, configuration.environment.hasPrefix("gymnasium:") {
            try PythonBridgeCheck.check(python: configuration.pythonExecutable)
        }
        try self.init(configuration, transport: ZMQRouterTransport(configuration), launcher: ProcessLauncher(), clock: SystemClock(),
                      heartbeats: true)
    }

    /// The pool on `transport`, with workers from `launcher` and time from
    /// `clock`; without `heartbeats`, no background thread (tests drive
    /// ``heartbeatTick()`` themselves).
    init(_ configuration: PoolConfiguration, transport: PoolTransport, launcher: WorkerLauncher, clock: PoolClock,
         heartbeats: Bool) throws {
        require(configuration.workers >= 0 && configuration.remoteWorkers >= 0 && configuration.workers + configuration.remoteWorkers > 0
                && configuration.environmentsPerWorker > 0,
                "a pool needs at least one worker (local or remote) and one environment per worker")
        require(configuration.remoteWorkers == 0 || configuration.listen != nil, "remote workers need a listen endpoint")
        self.configuration = configuration
        self.transport = transport
        self.launcher = launcher
        self.clock = clock
        admission = Admission(places: configuration.remoteWorkers, firstBackoff: configuration.admissionBackoff)
        let k = configuration.environmentsPerWorker
        let local = configuration.workers
        let now = clock.now()
        slots = (0..<local).map { WorkerSlot(index: $0, firstEnvironment: $0 * k, count: k, now: now) }
            + (local..<(local + configuration.remoteWorkers)).map {
                WorkerSlot(index: $0, firstEnvironment: $0 * k, count: k, isRemote: true, now: now)
            }
        lock.lock()
        defer { lock.unlock() }
        do {
            for slot in slots where !slot.isRemote { try spawn(slot) }
            try pump(until: { self.slots.allSatisfy { $0.isRemote || $0.phase == .idle } }, timeout: configuration.startTimeout) {
                let waiting = self.slots.filter { !$0.isRemote && $0.phase != .idle }.map(\.name).joined(separator: ", ")
                return RuntimeError.workerStartTimeout(worker: waiting, seconds: configuration.startTimeout)
            }
            if local == 0 { try waitForFirstRemoteWorker() }
        } catch {
            shutDownLocked()
            throw error
        }
        if heartbeats { startHeartbeats() }
    }

    deinit { close() }

    // MARK: Synchronous stepping

    /// Resets every environment; the batch holds all of them in id order.
    /// With remote places, only the workers present and idle are reset; the
    /// others' first observations arrive through asynchronous receiving.
    public func reset() throws -> Batch {
        try locked {
            guard configuration.remoteWorkers > 0 else {
                try requireAllIdle("reset")
                for slot in slots { try request(slot, .reset) }
                return try collectAll()
            }
            let present = slots.filter { $0.phase == .idle && $0.completed == nil }
            for slot in present { try request(slot, .reset) }
            try pump(until: { present.allSatisfy { $0.completed != nil || $0.phase == .vacant } }, timeout: .infinity) { RuntimeError.closed }
            var batch = Batch()
            for slot in present where slot.completed != nil {
                completionOrder.removeAll { $0 == slot.index }
                append(slot, to: &batch)
            }
            return batch
        }
    }

    /// With no local workers: waits until a remote worker is ready, logging
    /// where the learner listens. ``PoolConfiguration/cancelWaiting`` ends the wait.
    private func waitForFirstRemoteWorker() throws {
        log("no local workers; waiting for remote workers on \(configuration.listen ?? endpoint) (herd actor --learner ...)")
        while !slots.contains(where: { $0.isRemote && $0.phase != .vacant && $0.phase != .starting }) {
            if configuration.cancelWaiting?() == true { throw RuntimeError.closed }
            if let message = try transport.receive(timeoutMilliseconds: 100) { dispatch(message) }
            try supervise()
        }
    }

    /// Steps every environment with `actions` (`[environmentCount, actionSize]`)
    /// and returns every result in id order.
    public func step(_ actions: [Float]) throws -> Batch {
        try locked {
            guard configuration.remoteWorkers == 0 else {
                throw RuntimeError.invalidRequest("step: synchronous stepping needs every environment; a pool with remote places steps asynchronously")
            }
            require(actions.count == environmentCount * actionSize,
                    "step: \(actions.count) action values for \(environmentCount) environments × \(actionSize)")
            try requireAllIdle("step")
            try validate(actions)
            for slot in slots { try sendActions(slot, actions, offset: slot.firstEnvironment) }
            return try collectAll()
        }
    }

    // MARK: Asynchronous stepping

    /// Sends actions to the workers hosting `environmentIDs`, which must be
    /// whole workers' environments (as ``receive(batchSize:)`` returns them),
    /// each worker idle. `actions` is `[environmentIDs.count, actionSize]` in
    /// the order of `environmentIDs`.
    public func send(_ actions: [Float], environmentIDs: [Int]) throws {
        try locked {
            require(actions.count == environmentIDs.count * actionSize,
                    "send: \(actions.count) action values for \(environmentIDs.count) environments × \(actionSize)")
            try validate(actions)
            var offset = 0
            while offset < environmentIDs.count {
                let id = environmentIDs[offset]
                guard id >= 0, id < environmentCount else { throw RuntimeError.invalidRequest("send: no environment \(id)") }
                let slot = slots[id / configuration.environmentsPerWorker]
                guard Array(environmentIDs[offset..<min(offset + slot.count, environmentIDs.count)]) == Array(slot.environmentIDs) else {
                    throw RuntimeError.invalidRequest("send: environment ids must cover whole workers in order; worker \(slot.index) hosts \(slot.environmentIDs)")
                }
                if slot.isRemote, slot.phase != .idle || slot.completed != nil {
                    // The worker that produced these rows is gone (its place is
                    // vacant or holds a newcomer starting afresh): drop the actions.
                    offset += slot.count
                    continue
                }
                guard slot.phase == .idle, slot.completed == nil else {
                    throw RuntimeError.invalidRequest("send: worker \(slot.index) already has a step in flight or results waiting")
                }
                try sendActions(slot, Array(actions[(offset * actionSize)..<((offset + slot.count) * actionSize)]), offset: 0)
                offset += slot.count
            }
        }
    }

    /// Returns results of at least `batchSize` environments (whole workers,
    /// in the order they finished), waiting as long as needed.
    public func receive(batchSize: Int) throws -> Batch {
        try locked {
            require(batchSize > 0 && batchSize <= environmentCount, "receive: batch size \(batchSize) out of 1...\(environmentCount)")
            let inFlight = slots.filter { $0.completed != nil || $0.isAwaiting }.reduce(0) { $0 + $1.count }
            guard inFlight >= batchSize else {
                throw RuntimeError.invalidRequest("receive: \(batchSize) results asked for, only \(inFlight) environments have steps in flight")
            }
            try pump(until: { self.readyCount >= batchSize }, timeout: .infinity) { RuntimeError.closed }
            var batch = Batch()
            var taken = 0
            while taken < batchSize, !completionOrder.isEmpty {
                let slot = slots[completionOrder.removeFirst()]
                append(slot, to: &batch)
                taken += slot.count
            }
            return batch
        }
    }

    /// Returns whatever results are ready, for the central inference loop:
    /// waits until results of at least `fullBatchSize` environments are
    /// ready, or until `timeout` seconds have passed with at least one
    /// worker's results ready, then takes whole workers in the order they
    /// finished while they fit in `maxBatchSize` (always at least one).
    /// SEED RL's learner waits for a full batch and stalls when too few
    /// actors are alive; this returns a partial batch at the deadline instead.
    /// Throws when no environment has a step in flight.
    public func receiveReady(maxBatchSize: Int, fullBatchSize: Int, timeout: Double) throws -> Batch {
        try locked {
            require(maxBatchSize > 0 && fullBatchSize > 0 && timeout >= 0,
                    "receiveReady: sizes must be positive and the timeout non-negative")
            let remote = configuration.remoteWorkers > 0
            guard remote || slots.contains(where: { $0.completed != nil || $0.isAwaiting }) else {
                throw RuntimeError.invalidRequest("receiveReady: no environment has a step in flight")
            }
            let start = clock.now()
            let deadline = start + timeout
            // With remote places, workers come and go: an empty batch after a
            // short wait lets the caller check on its own state.
            let emptyDeadline = start + max(timeout, 0.05)
            // A full batch is at most what the workers present can give.
            // A newcomer counts once it has served well (`isWaitedFor`): a
            // peer that joins and goes silent, or is sent away at its first
            // step, must not make every batch wait for the deadline. While
            // none has (a learner of remote workers only, just started),
            // those that have answered a step count.
            let full = remote ? max(1, min(fullBatchSize, waitedForEnvironments)) : fullBatchSize
            try pump(until: {
                let ready = self.readyCount, now = self.clock.now()
                return ready >= full || (ready > 0 && now >= deadline)
                    || (remote && (now >= emptyDeadline || !self.lostEnvironments.isEmpty))
            }, timeout: .infinity, waitMilliseconds: max(1, Int(min(timeout * 1000, 20)))) { RuntimeError.closed }
            var batch = Batch()
            batch.restartedEnvironments = lostEnvironments
            lostEnvironments.removeAll()
            while let next = completionOrder.first, batch.count == 0 || batch.count + slots[next].count <= maxBatchSize {
                completionOrder.removeFirst()
                append(slots[next], to: &batch)
            }
            return batch
        }
    }

    // MARK: Closing

    /// The newest picture of `environment`, the first of its worker's, as of
    /// its worker's latest results (``PoolConfiguration/renderFrames``); nil
    /// before one arrived or for other environments.
    public func latestFrame(environment: Int) -> RGBImage? {
        lock.withLock {
            guard let slot = slots.first(where: { $0.firstEnvironment == environment }), let frame = slot.lastFrame else { return nil }
            return RGBImage(width: Int(frame.width), height: Int(frame.height), pixels: frame.pixels)
        }
    }

    /// Says goodbye to every worker and waits briefly for them to exit.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        shutDownLocked()
    }

    /// The worker processes' ids, in worker order (for tests and logs).
    public var workerProcessIDs: [pid_t] { lock.withLock { slots.compactMap { $0.process?.pid } } }

    // MARK: Internals shared with the extension

    func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { throw RuntimeError.closed }
        return try body()
    }

    var readyCount: Int { completionOrder.reduce(0) { $0 + slots[$1].count } }

    /// The environments of the places a batch waits for (``WorkerSlot/isWaitedFor``),
    /// or, while there are none, of remote places that have answered a step.
    var waitedForEnvironments: Int {
        let proven = slots.filter(\.isWaitedFor).reduce(0) { $0 + $1.count }
        return proven > 0 ? proven : slots.filter { $0.isRemote && $0.isOccupied && $0.servedResults > 1 }.reduce(0) { $0 + $1.count }
    }

    func requireAllIdle(_ what: String) throws {
        guard slots.allSatisfy({ $0.phase == .idle && $0.completed == nil }) else {
            throw RuntimeError.invalidRequest("\(what): asynchronous steps are still in flight; receive them first")
        }
    }

    func sendActions(_ slot: WorkerSlot, _ actions: [Float], offset: Int) throws {
        let values = Array(actions[(offset * actionSize)..<((offset + slot.count) * actionSize)])
        if let interrupted = slot.interruptedResults {
            // The worker was replaced while idle: these actions were chosen for
            // episodes that no longer exist. Report their end instead.
            slot.interruptedResults = nil
            slot.restartedSinceHandout = true
            complete(slot, interrupted)
            return
        }
        try request(slot, .actions(Actions(environmentCount: UInt32(slot.count), actionSize: UInt32(actionSize), values: values)))
    }

    /// Checks every action before any worker moves: a discrete action must be
    /// a whole number in range, a continuous one finite (its bounds are the
    /// environment's to clip).
    func validate(_ actions: [Float]) throws {
        // The workers' bounds are not known here; `accepts` leaves them to the environments.
        let space: Space = discreteActions.map { .discrete($0) } ?? .box(low: -.infinity, high: .infinity, shape: [actionSize])
        try actions.withUnsafeBufferPointer { all in
            for start in stride(from: 0, to: all.count, by: max(actionSize, 1)) {
                let action = UnsafeBufferPointer(rebasing: all[start..<(start + actionSize)])
                guard space.accepts(action) else {
                    let described = discreteActions == nil ? "a Box of \(actionSize) finite values" : space.description
                    throw EnvironmentError.invalidAction(environment: configuration.environment, action: Array(action), space: described)
                }
            }
        }
    }

    /// Every slot's completed results as one batch, in id order. If a worker
    /// reports a failure, the others' replies are drained and dropped before
    /// the error is thrown, so the pool stays usable.
    func collectAll() throws -> Batch {
        do {
            try pump(until: { self.slots.allSatisfy { $0.completed != nil } }, timeout: .infinity) { RuntimeError.closed }
        } catch let error as RuntimeError {
            guard case .workerFailed = error else { throw error }
            try? pump(until: { !self.slots.contains { $0.isAwaiting } }, timeout: configuration.stepTimeout * 2) { error }
            for slot in slots { slot.completed = nil }
            completionOrder.removeAll()
            throw error
        }
        var batch = Batch()
        for slot in slots { append(slot, to: &batch) }
        completionOrder.removeAll()
        return batch
    }

    func append(_ slot: WorkerSlot, to batch: inout Batch) {
        guard let results = slot.completed else { return }
        slot.completed = nil
        batch.environmentIDs.append(contentsOf: slot.environmentIDs)
        results.observations.append(to: &batch.observations)
        observationBytesReceived += results.observations.bytes.count + results.finalObservations.reduce(0) { $0 + $1.observation.bytes.count }
        batch.rewards.append(contentsOf: results.rewards)
        batch.terminated.append(contentsOf: results.terminated)
        batch.truncated.append(contentsOf: results.truncated)
        for final in results.finalObservations { batch.finalObservations[slot.firstEnvironment + Int(final.index)] = final.observation.rows }
        if slot.restartedSinceHandout {
            batch.restartedEnvironments.formUnion(slot.environmentIDs)
            slot.restartedSinceHandout = false
        }
    }

    func setShapes(from ready: Ready) {
        observationSize = Int(ready.observationSize)
        observationShape = ready.observationShape.map(Int.init)
        observationDType = ready.observationDType
        actionSize = Int(ready.actionSize)
        discreteActions = ready.actionKind == 0 ? Int(ready.discreteActions) : nil
    }
}
