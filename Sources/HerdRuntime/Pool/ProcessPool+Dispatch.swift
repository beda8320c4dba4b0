import Foundation
import HerdEnvironments
import HerdTransport

extension ProcessPool {
    func nextSequence() -> UInt64 {
        sequence += 1
        return sequence
    }

    func sendFrame(_ slot: WorkerSlot, _ message: WireMessage, sequence: UInt64) throws {
        try transport.send(WireCodec.encode(message, sequence: sequence), to: slot.identity, dontWait: false)
    }

    /// Sends a reset or actions request; a worker that cannot be reached is
    /// replaced and the request answered for it.
    func request(_ slot: WorkerSlot, _ message: WireMessage) throws {
        let isReset = message == .reset
        let seq = nextSequence()
        // A picture belongs to the request it came with; none is kept past it.
        slot.lastFrame = nil
        // A place the pool has given up on gets nothing: the pump throws why.
        guard slot.failure == nil else {
            slot.phase = .awaiting(sequence: seq, since: -.infinity, isReset: isReset)
            return
        }
        do {
            try sendFrame(slot, message, sequence: seq)
            slot.phase = .awaiting(sequence: seq, since: clock.now(), isReset: isReset)
        } catch {
            slot.phase = .awaiting(sequence: seq, since: -.infinity, isReset: isReset)
            if slot.isRemote {
                vacate(slot, reason: "unreachable (\(error))")
            } else {
                try failed(slot, "unreachable (\(error))")
            }
        }
    }

    // MARK: Pumping

    /// Dispatches incoming messages and supervises until `done()` holds or
    /// `timeout` passes (then throws `onTimeout()`). A worker's reported
    /// failure is thrown.
    func pump(until done: () -> Bool, timeout: Double, waitMilliseconds: Int = 20, onTimeout: () -> Error) throws {
        let deadline = clock.now() + timeout
        if let failure = pendingFailure {
            pendingFailure = nil
            throw failure
        }
        while !done() {
            if let message = try spinThenReceive(waitMilliseconds: waitMilliseconds) { dispatch(message) }
            while let message = try transport.receive(timeoutMilliseconds: 0) { dispatch(message) }
            if let failed = slots.first(where: { $0.failure != nil }) {
                let message = failed.failure!
                failed.failure = nil
                failed.phase = .idle
                throw RuntimeError.workerFailed(worker: failed.name, message: message)
            }
            // Supervision (waitpid per worker, clocks) at most every 20 ms: well
            // inside the 2 s promise, and off the hot path of a fast round trip.
            let now = clock.now()
            if now - lastSupervision >= 0.02 {
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
    func spinThenReceive(waitMilliseconds: Int = 20) throws -> TransportMessage? {
        if let message = try transport.receive(timeoutMilliseconds: 0) { return message }
        if configuration.spinMicroseconds > 0 {
            let until = clock.now() + configuration.spinMicroseconds / 1e6
            while clock.now() < until {
                if let message = try transport.receive(timeoutMilliseconds: 0) { return message }
            }
        }
        return try transport.receive(timeoutMilliseconds: waitMilliseconds)
    }

    /// One incoming message: validated, then applied to its worker's slot.
    func dispatch(_ message: TransportMessage) {
        let identity = message.peer
        dispatchingSource = message.source
        defer { dispatchingSource = nil }
        guard message.frameCount == 2 else { return reject(identity, "a message of \(message.frameCount) frames") }
        if peers.isBanned(identity) {
            badFrames += 1
            return
        }
        let slot = slots.first(where: { $0.identity == identity })
        let decoded: (message: WireMessage, sequence: UInt64)
        do {
            decoded = try message.withFrame(1) { try WireCodec.decode($0, limits: configuration.limits) }
        } catch let error as ProtocolError {
            if case let .unsupportedVersion(version, kind: .hello) = error, version < WireCodec.version {
                return refuseOldVersion(identity, slot, version: version)
            }
            if case .limitExceeded = error, slot?.isRemote != false { return overLimit(identity, slot, "\(error)") }
            // A worker that owes an answer and sends a frame that cannot be
            // decoded (a duplicate final observation, a truncated results)
            // will not answer now: it is sent away at once, as for unusable
            // values, instead of holding its place until the step timeout.
            if let slot, slot.isAwaiting { return badValues(slot, "a malformed frame while it owed an answer: \(error)") }
            return outOfTurn(identity, slot, "\(error)")
        } catch {
            return reject(identity, "\(error)")
        }
        guard let slot else { return unknownPeer(identity, decoded.message, source: message.source) }
        slot.lastHeard = clock.now()
        switch (decoded.message, slot.phase) {
        case (.hello, .starting):
            do { try sendFrame(slot, .assign(assignment(for: slot)), sequence: 0) } catch { reject(identity, "cannot answer hello: \(error)") }
        case let (.ready(ready), .starting):
            if let problem = readyProblem(ready, slot) {
                if slot.isRemote { return refuse(slot, problem) }
                slot.failure = problem
                return
            }
            if observationSize == 0 { setShapes(from: ready) }
            slot.observationBounds = ready.observationBounds
            slot.phase = .idle
            if slot.isRemote {
                // Its environments join asynchronous stepping once their first observations arrive.
                slot.restartedSinceHandout = true
                try? request(slot, .reset)
                log("remote worker \(slot.remoteLabel) is ready: environments \(slot.environmentIDs.lowerBound)..<\(slot.environmentIDs.upperBound)")
            }
        case let (.results(results), .awaiting(sequence, _, isReset)) where decoded.sequence == sequence:
            guard results.environmentCount == slot.count, results.observationSize == observationSize else {
                return reject(identity, "results for \(results.environmentCount) × \(results.observationSize), expected \(slot.count) × \(observationSize)")
            }
            guard results.observations.dtype == observationDType else {
                return reject(identity, "results in \(results.observations.dtype), agreed \(observationDType) at ready")
            }
            if let problem = Self.valueProblem(results, bounds: slot.observationBounds) { return badValues(slot, problem) }
            // A step answered: the worker works (a replacement's reset does not show that).
            if !isReset { slot.noteStep() }
            if slot.isRemote {
                slot.servedResults += 1
                if slot.servedResults == Admission.healthySteps { admission.servedWell(slot.remoteSource) }
            }
            complete(slot, results)
        case let (.frame(frame), .awaiting(sequence, _, _)) where decoded.sequence == sequence && configuration.renderFrames:
            guard frame.index == 0 else { return reject(identity, "a frame of environment \(frame.index); only the first one is drawn") }
            slot.lastFrame = frame
        case let (.error(error), phase):
            workerError(slot, error, whileStarting: phase == .starting)
        case (.heartbeat, _):
            break
        case (.goodbye, _):
            if slot.isRemote { vacate(slot, reason: "said goodbye") } else { slot.process?.send(SIGKILL) }
        default:
            outOfTurn(identity, slot, "unexpected \(decoded.message.kind) (sequence \(decoded.sequence)) while \(slot.phase)")
        }
    }

    /// A worker's `error` is an event, not the end of the run: it is counted
    /// and logged; a remote worker loses its place, a local one is replaced
    /// at the next supervision and its interrupted episodes end truncated.
    /// Two cases stop the caller with the worker's words, since replacing
    /// would only repeat them: a local worker that cannot start (it answers
    /// `assign` with an error: an unknown environment, a bad setting), and
    /// one whose place fails ``maximumFailureStreak`` times, each within
    /// ``WorkerSlot/stepsThatForgive`` steps of the one before.
    func workerError(_ slot: WorkerSlot, _ error: WireError, whileStarting: Bool) {
        workerErrors += 1
        let text = "error \(error.code.rawValue) (\(error.code)): \(logSafe(error.message))"
        if slot.isRemote { return vacate(slot, reason: "reported \(text)") }
        // The words that stop a run are kept whole (escaped, up to 2,000 characters).
        let words = logSafe(error.message, limit: 2000)
        if whileStarting {
            slot.failure = words
        } else if countFailure(slot, words: words) {
            slot.replaceReason = "reported \(text)"
        }
    }

    /// What makes well-formed results unusable: a reward that is not a
    /// finite f32 (NaN, ±∞, or a finite f64 beyond f32's range such as
    /// 1e39), a NaN or infinite observation or final observation, or, when
    /// the worker declared `bounds` at ready, an observation outside them.
    public static func valueProblem(_ results: Results, bounds: ObservationBounds? = nil) -> String? {
        let limit = Double(Float.greatestFiniteMagnitude)
        if let row = results.rewards.firstIndex(where: { !$0.isFinite || abs($0) > limit }) {
            return "reward \(results.rewards[row]) of environment \(row) is not a finite f32"
        }
        if !results.observations.isFinite { return "an observation holds NaN or an infinity" }
        if let final = results.finalObservations.first(where: { !$0.observation.isFinite }) {
            return "the final observation of environment \(final.index) holds NaN or an infinity"
        }
        guard let bounds, bounds.low.count == Int(results.observationSize) else { return nil }
        func outside(_ at: (index: Int, value: Float), _ what: String) -> String {
            let element = at.index % bounds.low.count
            return "\(what) holds \(at.value) at element \(element), outside the bounds declared at ready (\(bounds.low[element])...\(bounds.high[element]))"
        }
        if let at = results.observations.firstOutside(bounds) {
            return outside(at, "the observation of environment \(at.index / bounds.low.count)")
        }
        for final in results.finalObservations {
            if let at = final.observation.firstOutside(bounds) { return outside(at, "the final observation of environment \(final.index)") }
        }
        return nil
    }

    /// Results with unusable values: dropped and counted as a bad frame,
    /// and the worker sent away as for an `error` (its environments'
    /// episodes end truncated); a local worker that keeps sending them
    /// stops the pool as one that keeps reporting errors.
    func badValues(_ slot: WorkerSlot, _ problem: String) {
        badFrames += 1
        if slot.isRemote { return vacate(slot, reason: "sent unusable results: \(problem)") }
        if countFailure(slot, words: "sent unusable results: \(problem)") { slot.replaceReason = "sent unusable results (\(problem))" }
    }

    /// Failures close together (``WorkerSlot/noteFailure()``) a local worker
    /// place may have, its replacements included, before the pool gives up.
    static let maximumFailureStreak = 3

    func complete(_ slot: WorkerSlot, _ results: Results) {
        slot.completed = results
        slot.lastObservations = results.observations
        slot.phase = .idle
        completionOrder.append(slot.index)
    }
}
