import Foundation
import HerdEnvironments
import HerdTransport

extension ProcessPool {
    // MARK: Remote places

    /// A message from a peer no place knows: a remote worker's `hello` takes a
    /// free place if admission control lets its source in; anything else is
    /// a worker of an earlier learner, told to go.
    func unknownPeer(_ identity: [UInt8], _ message: WireMessage, source: String?) {
        guard configuration.remoteWorkers > 0 else { return reject(identity, "a message from an unknown peer") }
        guard case let .hello(hello) = message else {
            if countOutOfTurn(identity, nil, "a \(message.kind) from a peer that has not said hello") { return }
            return refuse(identity, label: "unknown", "this learner does not know the worker (it said hello to an earlier learner); reconnect")
        }
        let label = logSafe(hello.label, limit: 80)
        let now = clock.now()
        if let (seconds, reason) = admission.refusal(source, now: now) {
            if countOutOfTurn(identity, nil, "a hello while its source may take no place") { return }
            remoteRefused += 1
            // Told once when to come back; until then its handshakes are
            // held (with CURVE), so a peer that comes back in a loop costs a
            // key exchange, not a session, a hello and this refusal.
            if let source { transport.turnAway(source, forSeconds: seconds) }
            return refuse(identity, label: "\(label) (\(source ?? "-"))",
                          "no place for \(source ?? "this peer") for \(String(format: "%.1f", seconds)) s: \(reason); try again then")
        }
        var free = slots.first(where: { $0.isRemote && $0.phase == .vacant })
        if free == nil, reclaimPlaces(for: source, now: now) > 0 {
            free = slots.first(where: { $0.isRemote && $0.phase == .vacant })
        }
        guard let slot = free else {
            if countOutOfTurn(identity, nil, "a hello while every place is taken") { return }
            remoteRefused += 1
            return refuse(identity, label: label, "all \(configuration.remoteWorkers) remote places are taken")
        }
        guard Int(hello.capacity) >= slot.count else {
            remoteRefused += 1
            return refuse(identity, label: label, "a place holds \(slot.count) environments; the worker offers \(hello.capacity)")
        }
        admission.took(source, now: now)
        slot.remoteIdentity = identity
        slot.remoteLabel = label
        slot.remoteSource = source
        slot.servedResults = 0
        slot.incarnation += 1
        slot.phase = .starting
        slot.lastHeard = now
        slot.completed = nil
        slot.failure = nil
        remoteJoined += 1
        let assign = assignment(for: slot)
        log("remote worker \(slot.remoteLabel) (\(peerName(identity))\(source.map { ", \($0)" } ?? "")) joined as worker \(slot.index)")
        do { try sendFrame(slot, .assign(assign), sequence: 0) } catch { vacate(slot, reason: "cannot be assigned (\(error))") }
    }

    /// A `hello` found every place taken: frees the places whose worker is
    /// gone although the learner has not noticed yet, so that a restarted
    /// daemon takes its predecessors' places at once instead of waiting
    /// for their timeouts. A place is gone when a `heartbeat` to its worker
    /// cannot be sent (its connection is closed: the process died, and
    /// ZeroMQ under `ROUTER_MANDATORY` refuses to route to it), or when it
    /// belongs to the newcomer's own source, is not working on a request
    /// (whose own timeout applies) and has been silent for longer than
    /// ``PoolConfiguration/reclaimSilence`` (the same daemon, back after
    /// losing its connections without closing them). Probes at most
    /// every 0.1 s, so a flood of hellos costs a few sends. Returns the
    /// places freed.
    func reclaimPlaces(for source: String?, now: Double) -> Int {
        var freed = 0
        let probe = now - lastReclaim >= 0.1
        if probe { lastReclaim = now }
        for slot in slots where slot.isRemote && slot.isOccupied {
            if probe, (try? transport.send(WireCodec.encode(.heartbeat, sequence: 0), to: slot.identity, dontWait: true)) == nil {
                vacate(slot, reason: "is gone (its connection is closed; found when a newcomer asked for a place)", strike: false)
            } else if let source, slot.remoteSource == source, !slot.isAwaiting, now - slot.lastHeard > configuration.reclaimSilence {
                vacate(slot, reason: "has been silent for \(String(format: "%.1f", now - slot.lastHeard)) s and its source \(source) asks for a place again",
                       strike: false)
            } else {
                continue
            }
            freed += 1
            placesReclaimed += 1
        }
        return freed
    }

    /// Tells a peer why it is refused, then goodbye (protocol: error code 5).
    func refuse(_ identity: [UInt8], label: String, _ reason: String) {
        logPeer(identity, "refused remote worker \(label): \(reason)")
        sendErrorThenGoodbye(identity, WireError(code: .refused, message: reason))
    }

    func refuse(_ slot: WorkerSlot, _ reason: String) {
        let identity = slot.identity
        vacate(slot, reason: "refused: \(reason)", sayGoodbye: false)
        refuse(identity, label: slot.remoteLabel, reason)
    }

    /// Frees a remote place: its worker is gone or refused. Its environments'
    /// unfinished work is dropped and named in the next batch
    /// (``Batch/restartedEnvironments``).
    /// A place left before it served ``Admission/healthySteps`` steps is a
    /// strike against its source, unless `strike` is false (a place freed
    /// for a newcomer).
    func vacate(_ slot: WorkerSlot, reason: String, sayGoodbye: Bool = true, strike: Bool = true) {
        guard slot.isRemote, slot.phase != .vacant else { return }
        if sayGoodbye { try? sendFrame(slot, .goodbye, sequence: 0) }
        let wasServing = slot.phase != .starting
        log("remote worker \(slot.remoteLabel) (worker \(slot.index)) \(reason); its place is free")
        if strike, slot.servedResults < Admission.healthySteps { admission.leftEarly(slot.remoteSource, now: clock.now()) }
        slot.remoteSource = nil
        slot.servedResults = 0
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

    func readyProblem(_ ready: Ready, _ slot: WorkerSlot) -> String? {
        guard Int(ready.environmentCount) == slot.count else { return "built \(ready.environmentCount) environments, asked for \(slot.count)" }
        guard observationSize == 0 || (Int(ready.observationSize) == observationSize && Int(ready.actionSize) == actionSize) else {
            return "reports observation size \(ready.observationSize) and action size \(ready.actionSize); others \(observationSize), \(actionSize)"
        }
        guard observationSize == 0 || ready.observationDType == observationDType else {
            return "sends \(ready.observationDType) observations; the other workers send \(observationDType)"
        }
        guard observationSize == 0 || ready.observationShape.map(Int.init) == observationShape else {
            return "reports observation shape \(ready.observationShape); others \(observationShape)"
        }
        let discrete = ready.actionKind == 0 ? Int(ready.discreteActions) : nil
        guard observationSize == 0 || discrete == discreteActions else {
            return "reports \(discrete.map { "\($0) discrete actions" } ?? "continuous actions"); others "
                + (discreteActions.map { "\($0) discrete actions" } ?? "continuous actions")
        }
        return nil
    }

    /// What `slot`'s worker is to build: the run's environment, settings
    /// (with any wrappers), observation encoding and the slot's seeds.
    func assignment(for slot: WorkerSlot) -> Assign {
        Assign(workerIndex: UInt32(slot.index), firstEnvironmentID: UInt32(slot.firstEnvironment),
               environment: configuration.environment, settingsJSON: configuration.assignedSettingsJSON,
               seeds: slot.environmentIDs.map { seedFor(environment: $0, incarnation: slot.incarnation) },
               observationEncoding: configuration.observationEncoding)
    }

    func seedFor(environment id: Int, incarnation: Int) -> UInt64 {
        let runSeed = configuration.seed &+ UInt64(incarnation) &* 0x9E37_79B9_7F4A_7C15
        return environmentSeed(runSeed: runSeed, index: id)
    }
}
