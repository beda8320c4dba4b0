import Foundation
import HerdEnvironments
import HerdTransport

extension ProcessPool {
    // MARK: Remote places

    /// A message from a peer no place knows: a remote worker's `hello` takes a
    /// free place; anything else is a worker of an earlier learner, told to go.
    func unknownPeer(_ identity: [UInt8], _ message: WireMessage) {
        guard configuration.remoteWorkers > 0 else { return reject(identity, "a message from an unknown peer") }
        guard case let .hello(hello) = message else {
            if countOutOfTurn(identity, nil, "a \(message.kind) from a peer that has not said hello") { return }
            return refuse(identity, label: "unknown", "this learner does not know the worker (it said hello to an earlier learner); reconnect")
        }
        guard let slot = slots.first(where: { $0.isRemote && $0.phase == .vacant }) else {
            if countOutOfTurn(identity, nil, "a hello while every place is taken") { return }
            remoteRefused += 1
            return refuse(identity, label: logSafe(hello.label, limit: 80), "all \(configuration.remoteWorkers) remote places are taken")
        }
        guard Int(hello.capacity) >= slot.count else {
            remoteRefused += 1
            return refuse(identity, label: logSafe(hello.label, limit: 80), "a place holds \(slot.count) environments; the worker offers \(hello.capacity)")
        }
        slot.remoteIdentity = identity
        slot.remoteLabel = logSafe(hello.label, limit: 80)
        slot.incarnation += 1
        slot.phase = .starting
        slot.lastHeard = clock.now()
        slot.completed = nil
        slot.failure = nil
        remoteJoined += 1
        let assign = assignment(for: slot)
        log("remote worker \(slot.remoteLabel) (\(peerName(identity))) joined as worker \(slot.index)")
        do { try sendFrame(slot, .assign(assign), sequence: 0) } catch { vacate(slot, reason: "cannot be assigned (\(error))") }
    }

    /// Tells a peer why it is refused, then goodbye (protocol: error code 5).
    func refuse(_ identity: [UInt8], label: String, _ reason: String) {
        if peers.firstMention(identity) { log("refused remote worker \(label): \(reason)") }
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
