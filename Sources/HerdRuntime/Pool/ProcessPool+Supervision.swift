import Foundation
import HerdEnvironments
import HerdTransport

extension ProcessPool {
    // MARK: Spawning

    func spawn(_ slot: WorkerSlot) throws {
        let c = configuration
        let identity = String(decoding: slot.identity, as: UTF8.self)
        var common = ["--connect", transport.endpoint, "--identity", identity, "--learner-timeout", "\(c.workerLearnerTimeout)", "--exit-with-parent",
                      "--spin", "\(c.workerSpinMicroseconds)"]
        if let placement = c.workerCPUs, !placement.isEmpty {
            common += ["--cpus", placement[slot.index % placement.count].map(String.init).joined(separator: ",")]
        }
        var environment = Self.workerEnvironment
        if let keys = transport.localWorkerKeys, let curve = c.curve {
            // The pool's own workers authenticate too: every connection to a
            // CURVE learner is encrypted. The keys travel in the environment,
            // readable only by this user (like a 0600 file).
            environment["HERD_CURVE_SECRET_KEY"] = keys.secretKey
            environment["HERD_CURVE_SERVER_KEY"] = curve.keys.publicKey
        }
        if c.environment.hasPrefix("gymnasium:") {
            guard let script = c.gymnasiumWorkerScript ?? PoolConfiguration.defaultGymnasiumWorker() else {
                throw RuntimeError.spawnFailed(executable: "envs/gymnasium_worker.py",
                                               message: "not found beside this herd (\(Installation.roots().map { $0.appendingPathComponent("envs").path }.joined(separator: ", "))); install Herd with scripts/install.sh or set HERD_ENVS_DIR to the repository's envs/ directory")
            }
            slot.process = try launcher.launch(WorkerLaunch(executable: try resolve(c.pythonExecutable), arguments: [script] + common,
                                                            environment: environment, identity: slot.identity))
        } else {
            slot.process = try launcher.launch(WorkerLaunch(executable: c.herdExecutable, arguments: ["env-worker"] + common,
                                                            environment: environment, identity: slot.identity))
        }
        slot.phase = .starting
    }

    /// Workers step environments, never BLAS: one OpenBLAS (and NumPy) thread
    /// keeps idle helper threads from competing with them for the cores.
    static let workerEnvironment = ["OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"]

    /// An executable name resolved against PATH (posix_spawn needs a path).
    func resolve(_ name: String) throws -> String {
        guard let path = PoolConfiguration.executable(named: name) else {
            throw RuntimeError.spawnFailed(executable: name, message: "not found on PATH")
        }
        return path
    }

    // MARK: Supervision

    /// Replaces workers that died or have not answered within `stepTimeout`.
    /// On the heartbeat thread (`onHeartbeat`) it leaves workers that
    /// reported an error to the caller's next pump, where a failure of
    /// their replacement reaches the caller.
    func supervise(onHeartbeat: Bool = false) throws {
        for slot in slots where slot.isRemote && slot.isOccupied {
            let silent = clock.now() - slot.lastHeard
            if silent > configuration.remoteTimeout {
                vacate(slot, reason: "silent for \(String(format: "%.1f", silent)) s")
            } else if case let .awaiting(_, since, isReset) = slot.phase, clock.now() - since > timeout(reset: isReset) {
                vacate(slot, reason: "did not answer within \(timeout(reset: isReset)) s")
            }
        }
        for slot in slots where !slot.isRemote {
            guard let process = slot.process else { continue }
            if let reason = slot.replaceReason {
                if onHeartbeat { continue }
                try replace(slot, reason: reason)
            } else if !process.isRunning {
                let status = "status \(process.status.map(String.init) ?? "?")"
                // A worker that dies before it is ready would die again if replaced:
                // report it instead of retrying (and recursing) forever.
                guard slot.phase != .starting else {
                    throw RuntimeError.workerFailed(worker: slot.name, message: "exited during startup (\(status)); see its output above")
                }
                try failed(slot, "exited (\(status))", words: "exited (\(status)); see its output above")
            } else if case let .awaiting(_, since, isReset) = slot.phase, clock.now() - since > timeout(reset: isReset) {
                try failed(slot, "did not answer within \(timeout(reset: isReset)) s")
            }
        }
    }

    /// A local worker that failed after it was ready (it died, hung or
    /// could not be reached): counted (``countFailure(_:words:)``) and
    /// replaced now, unless the pool gives up on its place.
    func failed(_ slot: WorkerSlot, _ reason: String, words: String? = nil) throws {
        if countFailure(slot, words: words ?? reason) { try replace(slot, reason: reason) }
    }

    /// Counts a local worker's failure after it was ready (an error, unusable
    /// results, an exit, a hang). Returns whether to replace it. At its
    /// place's third failure close together (``WorkerSlot/noteFailure()``)
    /// the pool gives up instead: one that fails at every step or start would
    /// only fail again, so its process is stopped and forgotten, and the
    /// caller's next pump throws `words`.
    func countFailure(_ slot: WorkerSlot, words: String) -> Bool {
        guard slot.failure == nil else { return false }  // already given up on: the pump throws that
        let streak = slot.noteFailure()
        guard streak >= Self.maximumFailureStreak else { return true }
        slot.failure = "\(words) \(WorkerSlot.streakNote(streak))"
        slot.process?.terminate()
        slot.process = nil
        return false
    }

    /// How long a request may take: a step `stepTimeout`; a reset, which
    /// resets every environment of the worker at once (16 Atari games with
    /// no-op starts take about 2 s), as long as starting one (`startTimeout`).
    func timeout(reset: Bool) -> Double {
        reset ? max(configuration.startTimeout, configuration.stepTimeout) : configuration.stepTimeout
    }

    /// Kills `slot`'s process, starts a new one, resets its environments and
    /// answers any interrupted request with truncated episodes. Results the
    /// old process delivered and nobody has taken yet stay waiting (they are
    /// that worker's real last step); its episodes end truncated at the next step.
    func replace(_ slot: WorkerSlot, reason: String) throws {
        let old = slot.name
        slot.replaceReason = nil
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
        slot.phase = .awaiting(sequence: seq, since: clock.now(), isReset: true)
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
    func truncation(_ slot: WorkerSlot, lastSeen: ObservationBlock, after fresh: Results) -> Results {
        let size = observationSize
        var finals: [FinalObservation] = []
        if lastSeen.count == slot.count * size, lastSeen.dtype == fresh.observations.dtype {
            finals = (0..<slot.count).map { j in
                FinalObservation(index: UInt32(j), observation: lastSeen.slice((j * size)..<((j + 1) * size)))
            }
        }
        return Results(environmentCount: UInt32(slot.count), observationSize: UInt32(size), observations: fresh.observations,
                       rewards: [Double](repeating: 0, count: slot.count), terminated: [Bool](repeating: false, count: slot.count),
                       truncated: [Bool](repeating: true, count: slot.count), finalObservations: finals)
    }
}
