import Foundation
import HerdTensor

/// The inference thread's own copy of a learner's network. The learner
/// ``publish(_:version:)``es its parameters after every step (a copy of a
/// few thousand floats under a lock), and inference works inside
/// ``read(_:)``, so it acts with the newest version from its next batch on.
/// The copy means the learner's optimiser never writes parameters that an
/// inference pass is reading (SEED RL's learner reads its variables the
/// same way).
final class PublishedNetwork<Network: Layer>: @unchecked Sendable {
    private let network: Network
    private let lock = NSLock()
    private var published = 0

    /// Takes `network` (moved to `device`) as the copy inference reads.
    init(_ network: Network, device: Device) throws {
        self.network = network
        try network.move(to: device)
    }

    /// The learner step of the parameters inference uses.
    var version: Int { lock.withLock { published } }

    /// Copies `learner`'s parameters in; inference uses them from its next batch.
    func publish(_ learner: Network, version: Int) throws {
        try lock.withLock {
            try network.copyParameters(from: learner)
            published = version
        }
    }

    /// Runs `body` with the copy, no publish in between (the caller's own
    /// state touched in `body` is guarded by the same lock).
    func read<T>(_ body: (Network) throws -> T) rethrows -> T {
        try lock.withLock { try body(network) }
    }
}
