import Foundation
import HerdEnvironments
import HerdTransport

/// The pool's view of one worker process.
final class WorkerSlot {
    enum Phase: Equatable {
        /// Spawned; waiting for hello, then ready.
        case starting
        /// Ready and not working on anything.
        case idle
        /// Working on the request with this sequence number since `since`.
        case awaiting(sequence: UInt64, since: Date, isReset: Bool)
        /// A remote place with no worker.
        case vacant
    }

    let index: Int
    let firstEnvironment: Int
    let count: Int
    var incarnation = 0
    var process: ChildProcess?
    var phase = Phase.starting
    /// Results received and not yet handed out.
    var completed: Results?
    /// Results to hand out instead of stepping, after a replacement while idle.
    var interruptedResults: Results?
    /// The latest observation the pool has seen for each environment.
    var lastObservations: [Float] = []
    /// A request's failure reported by the worker (`error` message).
    var failure: String?
    /// Replaced since its last results were handed out (see ``Batch/restartedEnvironments``).
    var restartedSinceHandout = false
    /// A place for a worker from another machine (no process of ours).
    let isRemote: Bool
    /// The remote worker's ZeroMQ identity, while one holds the place.
    var remoteIdentity: [UInt8]?
    /// The remote worker's `hello` label (`host:pid`).
    var remoteLabel = ""
    /// When the remote worker was last heard from.
    var lastHeard = Date()

    init(index: Int, firstEnvironment: Int, count: Int, isRemote: Bool = false) {
        self.index = index
        self.firstEnvironment = firstEnvironment
        self.count = count
        self.isRemote = isRemote
        if isRemote { phase = .vacant }
    }

    var identity: [UInt8] { isRemote ? remoteIdentity ?? [] : Array("w\(index).\(incarnation)".utf8) }
    var name: String {
        isRemote ? "\(index) (remote \(remoteLabel.isEmpty ? "-" : remoteLabel))" : "\(index) (pid \(process.map { "\($0.pid)" } ?? "-"))"
    }
    /// Holds a worker that has said hello (local, or remote and not vacant).
    var isOccupied: Bool { phase != .vacant }
    var environmentIDs: Range<Int> { firstEnvironment..<(firstEnvironment + count) }
    var isAwaiting: Bool { if case .awaiting = phase { return true } else { return false } }
}

extension ProcessPool {
    // MARK: Spawning

    func spawn(_ slot: WorkerSlot) throws {
        let c = configuration
        let identity = String(decoding: slot.identity, as: UTF8.self)
        var common = ["--connect", endpoint, "--identity", identity, "--learner-timeout", "\(c.workerLearnerTimeout)", "--exit-with-parent",
                      "--spin", "\(c.workerSpinMicroseconds)"]
        if let placement = c.workerCPUs, !placement.isEmpty {
            common += ["--cpus", placement[slot.index % placement.count].map(String.init).joined(separator: ",")]
        }
        var environment = Self.workerEnvironment
        if let keys = localWorkerKeys, let curve = c.curve {
            // The pool's own workers authenticate too: every connection to a
            // CURVE learner is encrypted. The keys travel in the environment,
            // readable only by this user (like a 0600 file).
            environment["HERD_CURVE_SECRET_KEY"] = keys.secretKey
            environment["HERD_CURVE_SERVER_KEY"] = curve.keys.publicKey
        }
        if c.environment.hasPrefix("gymnasium:") {
            guard let script = c.gymnasiumWorkerScript ?? PoolConfiguration.defaultGymnasiumWorker() else {
                throw RuntimeError.spawnFailed(executable: "envs/gymnasium_worker.py",
                                               message: "not found; set HERD_ENVS_DIR to the repository's envs/ directory")
            }
            slot.process = try ChildProcess(executable: try resolve(c.pythonExecutable), arguments: [script] + common,
                                            environment: environment)
        } else {
            slot.process = try ChildProcess(executable: c.herdExecutable, arguments: ["env-worker"] + common,
                                            environment: environment)
        }
        slot.phase = .starting
    }

    /// Workers step environments, never BLAS: one OpenBLAS (and NumPy) thread
    /// keeps idle helper threads from competing with them for the cores.
    static let workerEnvironment = ["OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"]

    /// An executable name resolved against PATH (posix_spawn needs a path).
    private func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw RuntimeError.spawnFailed(executable: name, message: "not found on PATH")
    }

    func nextSequence() -> UInt64 {
        sequence += 1
        return sequence
    }

    func sendFrame(_ slot: WorkerSlot, _ message: WireMessage, sequence: UInt64) throws {
        let frame = WireCodec.encode(message, sequence: sequence)
        let identity = slot.identity
        try identity.withUnsafeBytes { id in
            try frame.withUnsafeBytes { payload in try router.send([id, payload]) }
        }
    }

    /// Sends a reset or actions request; a worker that cannot be reached is
    /// replaced and the request answered for it.
    func request(_ slot: WorkerSlot, _ message: WireMessage) throws {
        let isReset = message == .reset
        let seq = nextSequence()
        slot.failure = nil
        do {
            try sendFrame(slot, message, sequence: seq)
            slot.phase = .awaiting(sequence: seq, since: Date(), isReset: isReset)
        } catch {
            slot.phase = .awaiting(sequence: seq, since: .distantPast, isReset: isReset)
            if slot.isRemote {
                vacate(slot, reason: "unreachable (\(error))")
            } else {
                try replace(slot, reason: "unreachable (\(error))")
            }
        }
    }

    // MARK: Pumping

    /// Dispatches incoming messages and supervises until `done()` holds or
    /// `timeout` passes (then throws `onTimeout()`). A worker's reported
    /// failure is thrown.
    func pump(until done: () -> Bool, timeout: Double, waitMilliseconds: Int = 20, onTimeout: () -> Error) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !done() {
            if let frames = try spinThenReceive(waitMilliseconds: waitMilliseconds) { dispatch(frames) }
            while let frames = try router.tryReceive() { dispatch(frames) }
            if let failed = slots.first(where: { $0.failure != nil }) {
                let message = failed.failure!
                failed.failure = nil
                failed.phase = .idle
                throw RuntimeError.workerFailed(worker: failed.name, message: message)
            }
            // Supervision (waitpid per worker, clocks) at most every 20 ms: well
            // inside the 2 s promise, and off the hot path of a fast round trip.
            let now = Date()
            if now.timeIntervalSince(lastSupervision) >= 0.02 {
                lastSupervision = now
                if now >= deadline { throw onTimeout() }
                try supervise()
                // The heartbeat thread cannot take the lock while this waits.
                sendHeartbeatsIfDue(now)
            }
        }
    }

    /// The next message: polled without sleeping for up to `spinMicroseconds`
    /// (a fast worker's reply usually lands within it, saving the sleep and
    /// wake-up of a blocking wait), then waited for up to `waitMilliseconds`.
    func spinThenReceive(waitMilliseconds: Int = 20) throws -> [Frame]? {
        if let frames = try router.tryReceive() { return frames }
        if configuration.spinMicroseconds > 0 {
            let until = DispatchTime.now().uptimeNanoseconds + UInt64(configuration.spinMicroseconds * 1000)
            while DispatchTime.now().uptimeNanoseconds < until {
                if let frames = try router.tryReceive() { return frames }
            }
        }
        return try router.receive(timeoutMilliseconds: waitMilliseconds)
    }

    /// One incoming message: validated, then applied to its worker's slot.
    func dispatch(_ frames: [Frame]) {
        guard frames.count == 2 else { return reject(frames.first.map { Array($0.data) } ?? [], "a message of \(frames.count) frames") }
        let identity = Array(frames[0].data)
        if bannedPeers.contains(identity) {
            badFrames += 1
            return
        }
        let slot = slots.first(where: { $0.identity == identity })
        let decoded: (message: WireMessage, sequence: UInt64)
        do {
            decoded = try WireCodec.decode(frames[1].bytes, limits: configuration.limits)
        } catch let error as ProtocolError {
            if case .limitExceeded = error, slot?.isRemote != false { return overLimit(identity, slot, "\(error)") }
            return outOfTurn(identity, slot, "\(error)")
        } catch {
            return reject(identity, "\(error)")
        }
        guard let slot else { return unknownPeer(identity, decoded.message) }
        slot.lastHeard = Date()
        switch (decoded.message, slot.phase) {
        case (.hello, .starting):
            let seeds = slot.environmentIDs.map { seedFor(environment: $0, incarnation: slot.incarnation) }
            let assign = Assign(workerIndex: UInt32(slot.index), firstEnvironmentID: UInt32(slot.firstEnvironment),
                                environment: configuration.environment, settingsJSON: SettingsJSON.encode(configuration.settings), seeds: seeds)
            do { try sendFrame(slot, .assign(assign), sequence: 0) } catch { reject(identity, "cannot answer hello: \(error)") }
        case let (.ready(ready), .starting):
            if let problem = readyProblem(ready, slot) {
                if slot.isRemote { return refuse(slot, problem) }
                slot.failure = problem
                return
            }
            if observationSize == 0 { setShapes(from: ready) }
            slot.phase = .idle
            if slot.isRemote {
                // Its environments join asynchronous stepping once their first observations arrive.
                slot.restartedSinceHandout = true
                try? request(slot, .reset)
                log("remote worker \(slot.remoteLabel) is ready: environments \(slot.environmentIDs.lowerBound)..<\(slot.environmentIDs.upperBound)")
            }
        case let (.results(results), .awaiting(sequence, _, _)) where decoded.sequence == sequence:
            guard results.environmentCount == slot.count, results.observationSize == observationSize else {
                return reject(identity, "results for \(results.environmentCount) × \(results.observationSize), expected \(slot.count) × \(observationSize)")
            }
            complete(slot, results)
        case let (.error(error), _):
            slot.failure = "\(error.code): \(error.message)"
            if slot.isRemote { vacate(slot, reason: "reported \(error.code): \(error.message)") }
        case (.heartbeat, _):
            break
        case (.goodbye, _):
            if slot.isRemote { vacate(slot, reason: "said goodbye") } else { slot.process?.send(SIGKILL) }
        default:
            outOfTurn(identity, slot, "unexpected \(decoded.message.kind) (sequence \(decoded.sequence)) while \(slot.phase)")
        }
    }

    // MARK: Limits

    /// A frame dropped as malformed or out of turn; a remote peer (or one no
    /// place knows) that sends more than ``PoolConfiguration/maxPendingMessages``
    /// of them is disconnected.
    func outOfTurn(_ identity: [UInt8], _ slot: WorkerSlot?, _ reason: String) {
        reject(identity, reason)
        countOutOfTurn(identity, slot, reason)
    }

    /// Counts one out-of-turn message of a remote or unknown peer; true when
    /// that put it over the limit (it has then been disconnected).
    @discardableResult
    func countOutOfTurn(_ identity: [UInt8], _ slot: WorkerSlot?, _ reason: String) -> Bool {
        guard slot?.isRemote != false else { return false }
        // Every connection of a remote peer has a new identity: keep the
        // per-peer books bounded on a learner that runs for days.
        if outOfTurn.count >= Self.peerBookLimit { outOfTurn.removeAll() }
        let count = outOfTurn[identity, default: 0] + 1
        outOfTurn[identity] = count
        guard count > configuration.maxPendingMessages else { return false }
        overLimit(identity, slot, "more than \(configuration.maxPendingMessages) messages out of turn (the last: \(reason))")
        return true
    }

    /// Tells a remote peer it went over a limit (`error` 6, then goodbye),
    /// frees its place and drops whatever it sends afterwards.
    func overLimit(_ identity: [UInt8], _ slot: WorkerSlot?, _ reason: String) {
        badFrames += 1
        peersOverLimit += 1
        if bannedPeers.count >= Self.peerBookLimit { bannedPeers.removeAll() }
        bannedPeers.insert(identity)
        outOfTurn[identity] = nil
        // ZeroMQ's own routing ids are binary: name an unknown peer by them in hex.
        let label = slot?.remoteLabel ?? "peer " + identity.prefix(32).map { String(format: "%02x", $0) }.joined()
        log("disconnected remote worker \(label): over a limit: \(reason)")
        if let slot { vacate(slot, reason: "went over a limit", sayGoodbye: false) }
        sendErrorThenGoodbye(identity, WireError(code: .limitExceeded, message: "over a learner limit: \(reason)"))
    }

    /// Tells a peer why it is sent away (`error`), then `goodbye`. Never
    /// blocks: a peer that does not read its messages only loses them.
    func sendErrorThenGoodbye(_ identity: [UInt8], _ error: WireError) {
        for frame in [WireCodec.encode(.error(error), sequence: 0), WireCodec.encode(.goodbye, sequence: 0)] {
            try? identity.withUnsafeBytes { id in try frame.withUnsafeBytes { payload in try router.send([id, payload], dontWait: true) } }
        }
    }

    func complete(_ slot: WorkerSlot, _ results: Results) {
        slot.completed = results
        slot.lastObservations = results.observations
        slot.phase = .idle
        completionOrder.append(slot.index)
    }

    // MARK: Remote places

    /// A message from a peer no place knows: a remote worker's `hello` takes a
    /// free place; anything else is a worker of an earlier learner, told to go.
    private func unknownPeer(_ identity: [UInt8], _ message: WireMessage) {
        guard configuration.remoteWorkers > 0 else { return reject(identity, "a message from an unknown peer") }
        guard case let .hello(hello) = message else {
            if countOutOfTurn(identity, nil, "a \(message.kind) from a peer that has not said hello") { return }
            return refuse(identity, label: "unknown", "this learner does not know the worker (it said hello to an earlier learner); reconnect")
        }
        guard let slot = slots.first(where: { $0.isRemote && $0.phase == .vacant }) else {
            if countOutOfTurn(identity, nil, "a hello while every place is taken") { return }
            remoteRefused += 1
            return refuse(identity, label: hello.label, "all \(configuration.remoteWorkers) remote places are taken")
        }
        guard Int(hello.capacity) >= slot.count else {
            remoteRefused += 1
            return refuse(identity, label: hello.label, "a place holds \(slot.count) environments; the worker offers \(hello.capacity)")
        }
        slot.remoteIdentity = identity
        slot.remoteLabel = hello.label
        slot.incarnation += 1
        slot.phase = .starting
        slot.lastHeard = Date()
        slot.completed = nil
        slot.failure = nil
        remoteJoined += 1
        let seeds = slot.environmentIDs.map { seedFor(environment: $0, incarnation: slot.incarnation) }
        let assign = Assign(workerIndex: UInt32(slot.index), firstEnvironmentID: UInt32(slot.firstEnvironment),
                            environment: configuration.environment, settingsJSON: SettingsJSON.encode(configuration.settings), seeds: seeds)
        log("remote worker \(hello.label) joined as worker \(slot.index)")
        do { try sendFrame(slot, .assign(assign), sequence: 0) } catch { vacate(slot, reason: "cannot be assigned (\(error))") }
    }

    /// Tells a peer why it is refused, then goodbye (protocol: error code 5).
    private func refuse(_ identity: [UInt8], label: String, _ reason: String) {
        if loggedPeers.insert(identity).inserted { log("refused remote worker \(label): \(reason)") }
        sendErrorThenGoodbye(identity, WireError(code: .refused, message: reason))
    }

    private func refuse(_ slot: WorkerSlot, _ reason: String) {
        let identity = slot.identity
        vacate(slot, reason: "refused: \(reason)", sayGoodbye: false)
        refuse(identity, label: slot.remoteLabel, reason)
    }

    /// Frees a remote place: its worker is gone or refused. Its environments'
    /// unfinished work is dropped and named in the next batch
    /// (``Batch/restartedEnvironments``).
    func vacate(_ slot: WorkerSlot, reason: String, sayGoodbye: Bool = true) {
        guard slot.isRemote, slot.phase != .vacant else { return }
        if sayGoodbye { try? sendFrame(slot, .goodbye, sequence: 0) }
        let wasServing = slot.phase != .starting
        log("remote worker \(slot.remoteLabel) (worker \(slot.index)) \(reason); its place is free")
        slot.phase = .vacant
        slot.remoteIdentity = nil
        slot.completed = nil
        slot.interruptedResults = nil
        completionOrder.removeAll { $0 == slot.index }
        if wasServing {
            lostEnvironments.formUnion(slot.environmentIDs)
            remoteLost += 1
        }
    }

    private func readyProblem(_ ready: Ready, _ slot: WorkerSlot) -> String? {
        guard Int(ready.environmentCount) == slot.count else { return "built \(ready.environmentCount) environments, asked for \(slot.count)" }
        guard observationSize == 0 || (Int(ready.observationSize) == observationSize && Int(ready.actionSize) == actionSize) else {
            return "reports observation size \(ready.observationSize) and action size \(ready.actionSize); others \(observationSize), \(actionSize)"
        }
        return nil
    }

    /// Most peers each per-peer record (out-of-turn counts, bans, logged
    /// peers) holds before it is cleared.
    static let peerBookLimit = 4096

    func reject(_ peer: [UInt8], _ reason: String) {
        badFrames += 1
        if loggedPeers.count >= Self.peerBookLimit { loggedPeers.removeAll() }
        if loggedPeers.insert(peer).inserted {
            log("dropped a bad frame from \(String(decoding: peer, as: UTF8.self)) (further ones from this peer are counted, not logged): \(reason)")
        }
    }

    func seedFor(environment id: Int, incarnation: Int) -> UInt64 {
        let runSeed = configuration.seed &+ UInt64(incarnation) &* 0x9E37_79B9_7F4A_7C15
        return environmentSeed(runSeed: runSeed, index: id)
    }

    // MARK: Supervision

    /// Replaces workers that died or have not answered within `stepTimeout`.
    func supervise() throws {
        for slot in slots where slot.isRemote && slot.isOccupied {
            let silent = Date().timeIntervalSince(slot.lastHeard)
            if silent > configuration.remoteTimeout {
                vacate(slot, reason: "silent for \(String(format: "%.1f", silent)) s")
            } else if case let .awaiting(_, since, _) = slot.phase, Date().timeIntervalSince(since) > configuration.stepTimeout {
                vacate(slot, reason: "did not answer within \(configuration.stepTimeout) s")
            }
        }
        for slot in slots where !slot.isRemote {
            guard let process = slot.process else { continue }
            if !process.isRunning {
                let status = "status \(process.status.map(String.init) ?? "?")"
                // A worker that dies before it is ready would die again if replaced:
                // report it instead of retrying (and recursing) forever.
                guard slot.phase != .starting else {
                    throw RuntimeError.workerFailed(worker: slot.name, message: "exited during startup (\(status)); see its output above")
                }
                try replace(slot, reason: "exited (\(status))")
            } else if case let .awaiting(_, since, _) = slot.phase, Date().timeIntervalSince(since) > configuration.stepTimeout {
                try replace(slot, reason: "did not answer within \(configuration.stepTimeout) s")
            }
        }
    }

    /// Kills `slot`'s process, starts a new one, resets its environments and
    /// answers any interrupted request with truncated episodes. Results the
    /// old process delivered and nobody has taken yet stay waiting (they are
    /// that worker's real last step); its episodes end truncated at the next step.
    func replace(_ slot: WorkerSlot, reason: String) throws {
        let old = slot.name
        let interrupted = slot.phase
        let undelivered = slot.completed
        let queuePosition = completionOrder.firstIndex(of: slot.index)
        // The reset below overwrites them: these end the interrupted episodes.
        let lastSeen = slot.lastObservations
        slot.process?.terminate()
        slot.incarnation += 1
        slot.completed = nil
        try spawn(slot)
        try pump(until: { slot.phase == .idle }, timeout: configuration.startTimeout) {
            RuntimeError.workerStartTimeout(worker: slot.name, seconds: configuration.startTimeout)
        }
        let seq = nextSequence()
        try sendFrame(slot, .reset, sequence: seq)
        slot.phase = .awaiting(sequence: seq, since: Date(), isReset: true)
        completionOrder.removeAll { $0 == slot.index }
        try pump(until: { slot.completed != nil }, timeout: configuration.startTimeout) {
            RuntimeError.workerStartTimeout(worker: slot.name, seconds: configuration.startTimeout)
        }
        completionOrder.removeAll { $0 == slot.index }
        let fresh = slot.completed!
        slot.completed = nil
        workersReplaced += 1
        slot.restartedSinceHandout = true
        let truncated = truncation(slot, lastSeen: lastSeen, after: fresh)
        switch interrupted {
        case .awaiting(_, _, isReset: true):
            complete(slot, fresh)
        case .awaiting:
            complete(slot, truncated)
        case .idle, .starting, .vacant:
            slot.interruptedResults = truncated
            if let undelivered {
                // The restart is named with the truncation, not with these rows.
                slot.completed = undelivered
                slot.restartedSinceHandout = false
                if let queuePosition { completionOrder.insert(slot.index, at: min(queuePosition, completionOrder.count)) }
            }
        }
        log("worker \(old) \(reason); replaced by worker \(slot.name), its \(slot.count) environments reset, interrupted episodes reported as truncated")
    }

    /// Results saying every environment of `slot` was truncated: the rows hold
    /// the new episodes' first observations, the finals the last ones seen.
    private func truncation(_ slot: WorkerSlot, lastSeen: [Float], after fresh: Results) -> Results {
        let size = observationSize
        var finals: [FinalObservation] = []
        if lastSeen.count == slot.count * size {
            finals = (0..<slot.count).map { j in
                FinalObservation(index: UInt32(j), observation: Array(lastSeen[(j * size)..<((j + 1) * size)]))
            }
        }
        return Results(environmentCount: UInt32(slot.count), observationSize: UInt32(size), observations: fresh.observations,
                       rewards: [Double](repeating: 0, count: slot.count), terminated: [Bool](repeating: false, count: slot.count),
                       truncated: [Bool](repeating: true, count: slot.count), finalObservations: finals)
    }

    /// Background work: heartbeats to idle workers and a supervision pass.
    /// Returns false once the pool is closed.
    func heartbeatTick() -> Bool {
        guard lock.try() else { return true }
        defer { lock.unlock() }
        if closed { return false }
        do {
            while let frames = try router.tryReceive() { dispatch(frames) }
            sendHeartbeatsIfDue(Date())
            if slots.allSatisfy({ $0.isRemote || $0.phase != .starting }) { try supervise() }
        } catch {
            log("supervision failed: \(error)")
        }
        return true
    }

    /// Heartbeats to idle workers, at most once per heartbeat interval, from
    /// whichever thread holds the lock: a long wait in ``pump(until:timeout:waitMilliseconds:onTimeout:)``
    /// must not leave idle workers to time out the learner.
    func sendHeartbeatsIfDue(_ now: Date) {
        guard now.timeIntervalSince(lastHeartbeat) >= configuration.heartbeatInterval * 0.9 else { return }
        lastHeartbeat = now
        for slot in slots where slot.phase == .idle { try? sendFrame(slot, .heartbeat, sequence: 0) }
    }

    func shutDownLocked() {
        guard !closed else { return }
        closed = true
        for slot in slots where slot.isOccupied { try? sendFrame(slot, .goodbye, sequence: 0) }
        authenticator?.stop()
        for slot in slots where !slot.isRemote {
            if let process = slot.process, !process.waitForExit(timeout: 2) { process.terminate() }
        }
        if endpoint.hasPrefix("ipc://") { unlink(String(endpoint.dropFirst("ipc://".count))) }
    }

    func log(_ line: String) {
        guard configuration.logEvents else { return }
        FileHandle.standardError.write(Data("herd pool: \(line)\n".utf8))
    }
}
