import Foundation
import HerdAgents
import HerdCore
import HerdRuntime
import HerdTensor

/// Ape-X's per-actor exploration (Horgan et al. 2018): environment `i` of
/// `N` acts with `ε = base^(1 + alpha·i/(N − 1))` (0.4 and 7 in the paper),
/// so a fleet explores at many rates at once; one environment uses `base`.
public func apexEpsilons(count: Int, base: Double = 0.4, alpha: Double = 7) -> [Double] {
    guard count > 1 else { return [base] }
    return (0..<count).map { pow(base, 1 + alpha * Double($0) / Double(count - 1)) }
}

/// ε-greedy over one row of Q values: a uniform action with probability
/// `epsilon`, else the first maximising one. Acting and evaluation share it.
func epsilonGreedy(_ q: ArraySlice<Float>, epsilon: Double, using random: inout RandomGenerator) -> Int {
    if random.nextUniform() < epsilon { return Int(random.next() % UInt64(q.count)) }
    return q.firstIndex(of: q.max()!)! - q.startIndex
}

/// Acts for R2D2 on the inference server's thread: ε-greedy on its own copy
/// of the Q-network, one step of the LSTM from each environment's state
/// (the server keeps it and resets it at episode starts). Behaviour rows
/// are the Q values; recurrent states are `[hidden, cell]` rows.
public final class R2D2InferencePolicy: InferencePolicy, @unchecked Sendable {
    private let copy: PublishedNetwork<R2D2Network>
    private let device: Device
    private let epsilons: [Double]
    /// Used inside `copy.read`, under its lock.
    private var random: RandomGenerator

    public init(network: R2D2Network, device: Device, epsilons: [Double], seed: UInt64) throws {
        copy = try PublishedNetwork(network, device: device)
        self.device = device
        self.epsilons = epsilons
        random = RandomGenerator(seed: seed, stream: 9)
    }

    public var version: Int { copy.version }

    /// Copies the learner's online network in; used from the next batch on.
    public func publish(_ online: R2D2Network, version: Int) throws { try copy.publish(online, version: version) }

    public func infer(_ request: InferenceRequest) throws -> InferenceResponse {
        try copy.read { network in
            let rows = request.environmentIDs.count, A = network.actions, stateSize = network.stateSize
            var state: [Float] = []
            if stateSize > 0 {
                state.reserveCapacity(rows * stateSize)
                for (row, carried) in request.recurrentStates.enumerated() {
                    let keep = !request.episodeStarts[row] && carried.count == stateSize
                    state += keep ? carried : [Float](repeating: 0, count: stateSize)
                }
            }
            let inputs = R2D2Network.Inputs(
                steps: 1, batchSize: rows, observations: request.observations,
                previousActions: (0..<rows).map { request.episodeStarts[$0] ? -1 : Int(request.previousActions[$0]) },
                previousRewards: request.previousRewards, resets: [Float](repeating: 0, count: rows), initialState: state)
            let (q, next) = try withoutGradients {
                let out = try network.unroll(inputs, device: device)
                return (try out.q.hostScalars(), try out.state?.hostScalars())
            }
            var actions = [Float](repeating: 0, count: rows)
            for (row, id) in request.environmentIDs.enumerated() {
                actions[row] = Float(epsilonGreedy(q[(row * A)..<((row + 1) * A)], epsilon: epsilons[id % epsilons.count], using: &random))
            }
            let states = next.map { all in (0..<rows).map { Array(all[($0 * stateSize)..<(($0 + 1) * stateSize)]) } } ?? []
            return InferenceResponse(actions: actions, behaviour: q, recurrentStates: states)
        }
    }
}
