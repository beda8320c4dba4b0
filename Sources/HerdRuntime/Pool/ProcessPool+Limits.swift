import Foundation
import HerdEnvironments
import HerdTransport

extension ProcessPool {
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
        let count = peers.countOutOfTurn(identity)
        guard count > configuration.maxPendingMessages else { return false }
        overLimit(identity, slot, "more than \(configuration.maxPendingMessages) messages out of turn (the last: \(reason))")
        return true
    }

    /// Tells a remote peer it went over a limit (`error` 6, then goodbye),
    /// frees its place and drops whatever it sends afterwards.
    func overLimit(_ identity: [UInt8], _ slot: WorkerSlot?, _ reason: String) {
        badFrames += 1
        peersOverLimit += 1
        peers.ban(identity)
        // ZeroMQ's own routing ids are binary: name an unknown peer by them in hex.
        let label = slot?.remoteLabel ?? peerName(identity)
        logPeer(identity, "disconnected remote worker \(label): over a limit: \(reason)", always: true)
        if let slot { vacate(slot, reason: "went over a limit", sayGoodbye: false) }
        sendErrorThenGoodbye(identity, WireError(code: .limitExceeded, message: "over a learner limit: \(reason)"))
    }

    /// Tells a peer why it is sent away (`error`), then `goodbye`. Never
    /// blocks for long: a peer that does not read its messages only loses
    /// them. `version` frames them for a peer of an older protocol (the two
    /// bodies are the same in every version).
    ///
    /// The `error` is tried three times, a millisecond apart: under
    /// `ROUTER_MANDATORY` a send to a pipe that is momentarily not writable
    /// fails with `EAGAIN` at once. The `goodbye` goes only after the
    /// `error` did, so that a peer never reads a bare goodbye where the
    /// protocol promises a reason (a limits test once saw exactly that).
    func sendErrorThenGoodbye(_ identity: [UInt8], _ error: WireError, version: UInt16 = WireCodec.version) {
        let reason = WireCodec.encode(.error(error), sequence: 0, version: version)
        for attempt in 0..<3 {
            if (try? transport.send(reason, to: identity, dontWait: true)) != nil {
                try? transport.send(WireCodec.encode(.goodbye, sequence: 0, version: version), to: identity, dontWait: true)
                return
            }
            if attempt < 2 { usleep(1000) }
        }
    }

    /// A `hello` in an older protocol version: refused (code 5) in that
    /// version's framing, so that the worker can read why and exit.
    func refuseOldVersion(_ identity: [UInt8], _ slot: WorkerSlot?, version: UInt16) {
        badFrames += 1
        let reason = "this learner speaks Herd protocol version \(WireCodec.version) and the worker version \(version): "
            + "upgrade the worker (herd env-worker, herd actor or envs/gymnasium_worker.py from the learner's Herd)"
        logPeer(identity, "refused a worker speaking protocol version \(version) (\(slot?.remoteLabel ?? "unknown")): \(reason)")
        if let slot {
            if slot.isRemote { vacate(slot, reason: "refused: protocol version \(version)", sayGoodbye: false) } else { slot.failure = reason }
        }
        sendErrorThenGoodbye(identity, WireError(code: .refused, message: reason), version: version)
    }

    func reject(_ peer: [UInt8], _ reason: String) {
        badFrames += 1
        logPeer(peer, "dropped a bad frame from \(peerName(peer)) (further ones from this peer are counted, not logged): \(reason)")
    }

    /// Logs a line about a remote or unknown peer: once per peer (unless
    /// `always`), and, for a peer with a source (the message being
    /// dispatched came over TCP), at most once per ``Admission/logInterval``
    /// per source, since a peer reconnecting in a loop is a new peer each
    /// time. The next line of that source says how many were not logged.
    func logPeer(_ identity: [UInt8], _ line: String, always: Bool = false) {
        guard always || peers.firstMention(identity) else { return }
        guard let source = dispatchingSource else { return log(line) }
        guard let skipped = admission.logPermit(source, now: clock.now()) else { return }
        log(skipped > 0 ? "\(line) (and \(skipped) lines about \(source) not logged since the last)" : line)
    }
}
