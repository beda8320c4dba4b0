import HerdCore
/// `CartPoleNoVelocity-v1`: ``CartPole`` whose observation hides both
/// velocities, `[x, θ]`, a standard partially observable task (the agent must
/// infer velocities from history, as in the R2D2 and recurrent-PPO
/// literature). Dynamics, reward, termination, reset and the 500-step limit
/// are CartPole-v1's.
public final class CartPoleNoVelocity: Environment, PhysicalStateAccess {
    private let cartPole: CartPole
    private var full = [Float](repeating: 0, count: 4)

    public init(name: String = "CartPoleNoVelocity-v1", suttonBartoReward: Bool = false) {
        cartPole = CartPole(name: name, suttonBartoReward: suttonBartoReward)
        let high = [Float(CartPole.Constants.xThreshold * 2), Float(CartPole.Constants.thetaThreshold * 2)]
        observationSpace = .box(low: high.map { -$0 }, high: high, shape: [2])
    }

    public var name: String { cartPole.name }
    public let observationSpace: Space
    public var actionSpace: Space { cartPole.actionSpace }
    public var stateNames: [String] { cartPole.stateNames }
    public var physicalState: [Double] { cartPole.physicalState }
    public func setPhysicalState(_ state: [Double]) throws { try cartPole.setPhysicalState(state) }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        full.withUnsafeMutableBufferPointer { cartPole.reset(seed: seed, into: $0) }
        hideVelocities(observation)
    }

    public func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        let outcome = try full.withUnsafeMutableBufferPointer { try cartPole.step(action, into: $0) }
        hideVelocities(observation)
        return outcome
    }

    private func hideVelocities(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = full[0]
        observation[1] = full[2]
    }
}
