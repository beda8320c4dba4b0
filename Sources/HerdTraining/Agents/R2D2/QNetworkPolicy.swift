import HerdAgents
import HerdCore
import HerdTensor

/// R2D2's trained policy: the online Q-network, acting ε-greedily with
/// the config's evaluation ε (it has no mode to take: `deterministic` is
/// ignored), its recurrent state carried per environment and reset at
/// episode starts.
public struct QNetworkPolicy: TrainedPolicy {
    public var network: R2D2Network
    public var epsilon: Double

    public func acting(deterministic: Bool, seed: UInt64, device: Device) -> any ActingPolicy {
        QNetworkActing(network: network, epsilon: epsilon, random: RandomGenerator(seed: seed, stream: 11), device: device)
    }
}

final class QNetworkActing: ActingPolicy {
    let network: R2D2Network
    let epsilon: Double
    var random: RandomGenerator
    let device: Device
    private var states: [[Float]] = []
    private var previousActions: [Int] = []

    init(network: R2D2Network, epsilon: Double, random: RandomGenerator, device: Device) {
        self.network = network
        self.epsilon = epsilon
        self.random = random
        self.device = device
    }

    var actionSize: Int { 1 }

    func act(_ rows: ActingRows) throws -> [Float] {
        let stateSize = network.stateSize, A = network.actions, active = rows.environments
        if states.isEmpty {
            states = Array(repeating: [Float](repeating: 0, count: stateSize), count: rows.environmentCount)
            previousActions = Array(repeating: -1, count: rows.environmentCount)
        }
        for (row, i) in active.enumerated() where rows.episodeStarts[row] {
            states[i] = [Float](repeating: 0, count: stateSize)
            previousActions[i] = -1
        }
        let inputs = R2D2Network.Inputs(steps: 1, batchSize: active.count, observations: rows.observations,
                                        previousActions: active.map { previousActions[$0] }, previousRewards: rows.previousRewards,
                                        resets: [Float](repeating: 0, count: active.count),
                                        initialState: stateSize > 0 ? active.flatMap { states[$0] } : [])
        let (q, next) = try withoutGradients {
            let out = try network.unroll(inputs, device: device)
            return (try out.q.hostScalars(), try out.state?.hostScalars())
        }
        var actions: [Float] = []
        for (row, i) in active.enumerated() {
            let action = epsilonGreedy(q[(row * A)..<((row + 1) * A)], epsilon: epsilon, using: &random)
            actions.append(Float(action))
            previousActions[i] = action
            if let next { states[i] = Array(next[(row * stateSize)..<((row + 1) * stateSize)]) }
        }
        return actions
    }
}
