/// The pool's books on remote peers, bounded for a learner that runs for
/// days (every connection of a peer has a new routing id): out-of-turn
/// message counts, peers banned for going over a limit, peers already
/// named in the log.
struct PeerBook {
    /// Most peers each record holds before it is cleared.
    static let limit = 4096

    private var outOfTurn: [[UInt8]: Int] = [:]
    private var banned: Set<[UInt8]> = []
    private var logged: Set<[UInt8]> = []

    func isBanned(_ peer: [UInt8]) -> Bool { banned.contains(peer) }

    mutating func ban(_ peer: [UInt8]) {
        if banned.count >= Self.limit { banned.removeAll() }
        banned.insert(peer)
        outOfTurn[peer] = nil
    }

    /// Counts one more out-of-turn message of `peer`; returns its count.
    mutating func countOutOfTurn(_ peer: [UInt8]) -> Int {
        if outOfTurn.count >= Self.limit { outOfTurn.removeAll() }
        let count = outOfTurn[peer, default: 0] + 1
        outOfTurn[peer] = count
        return count
    }

    /// Whether `peer` is named in the log for the first time (then it is recorded).
    mutating func firstMention(_ peer: [UInt8]) -> Bool {
        if logged.count >= Self.limit { logged.removeAll() }
        return logged.insert(peer).inserted
    }
}
