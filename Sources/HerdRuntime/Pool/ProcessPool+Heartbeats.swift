import Foundation
import HerdEnvironments
import HerdTransport

extension ProcessPool {
    /// Background work: heartbeats to idle workers and a supervision pass.
    /// Returns false once the pool is closed.
    func heartbeatTick() -> Bool {
        guard lock.try() else { return true }
        defer { lock.unlock() }
        if closed { return false }
        do {
            while let message = try transport.receive(timeoutMilliseconds: 0) { dispatch(message) }
            sendHeartbeatsIfDue(clock.now())
            // A failure waiting for the caller is the caller's to see first.
            if pendingFailure == nil, !slots.contains(where: { $0.failure != nil }),
               slots.allSatisfy({ $0.isRemote || $0.phase != .starting }) {
                try supervise(onHeartbeat: true)
            }
        } catch {
            // No caller to tell on this thread: the next call into the pool throws it.
            pendingFailure = error
        }
        return true
    }

    /// Heartbeats to idle workers, at most once per heartbeat interval, from
    /// whichever thread holds the lock: a long wait in ``pump(until:timeout:waitMilliseconds:onTimeout:)``
    /// must not leave idle workers to time out the learner.
    func sendHeartbeatsIfDue(_ now: Double) {
        guard now - lastHeartbeat >= configuration.heartbeatInterval * 0.9 else { return }
        lastHeartbeat = now
        for slot in slots where slot.phase == .idle { try? sendFrame(slot, .heartbeat, sequence: 0) }
    }

    func shutDownLocked() {
        guard !closed else { return }
        closed = true
        for slot in slots where slot.isOccupied { try? sendFrame(slot, .goodbye, sequence: 0) }
        for slot in slots where !slot.isRemote {
            if let process = slot.process, !process.waitForExit(timeout: 2) { process.terminate() }
        }
        transport.close()
    }

    func log(_ line: String) {
        if let logSink { return logSink(line) }
        guard configuration.logEvents else { return }
        FileHandle.standardError.write(Data("herd pool: \(line)\n".utf8))
    }

    func startHeartbeats() {
        let interval = configuration.heartbeatInterval
        let thread = Thread { [weak self] in
            while true {
                Thread.sleep(forTimeInterval: interval)
                guard let pool = self else { return }
                if !pool.heartbeatTick() { return }
            }
        }
        thread.name = "herd-pool-heartbeat"
        thread.start()
        heartbeatThread = thread
    }
}
