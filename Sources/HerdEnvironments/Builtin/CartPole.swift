import HerdCore
import Foundation

/// `CartPole-v1`: balance a pole on a cart by pushing it left or right
/// (Barto, Sutton & Anderson 1983), with Gymnasium 1.x's constants, Euler
/// integrator and termination (`gymnasium/envs/classic_control/cartpole.py`).
///
/// - Observation `[x, ẋ, θ, θ̇]` (m, m/s, rad, rad/s), Float32 of the Double state.
/// - Action `Discrete(2)`: 0 pushes left, 1 pushes right, with 10 N.
/// - Reward +1 every step, including the terminating one (with
///   `sutton_barto_reward`: 0, and −1 on termination).
/// - Terminates when |x| > 2.4 m or |θ| > 12°; the registry adds a 500-step limit.
/// - Reset: every state component uniform in [−0.05, 0.05].
public final class CartPole: EnvironmentBase, Environment, PhysicalStateAccess {
    public struct Constants {
        /// Gravity, m/s².
        public static let gravity = 9.8
        /// Cart mass, kg.
        public static let cartMass = 1.0
        /// Pole mass, kg.
        public static let poleMass = 0.1
        /// Half the pole's length, m.
        public static let halfPoleLength = 0.5
        /// Force of one push, N.
        public static let forceMagnitude = 10.0
        /// Time step, s.
        public static let tau = 0.02
        /// |θ| beyond which the episode terminates: 12°, rad.
        public static let thetaThreshold = 12 * 2 * Double.pi / 360
        /// |x| beyond which the episode terminates, m.
        public static let xThreshold = 2.4
        /// Reset draws each component from U(−resetBound, resetBound).
        public static let resetBound = 0.05
        static let totalMass = poleMass + cartMass
        static let poleMassLength = poleMass * halfPoleLength
    }

    public let stateNames = ["x", "x_dot", "theta", "theta_dot"]
    public private(set) var physicalState: [Double] { get { [x, xDot, theta, thetaDot] } set { (x, xDot, theta, thetaDot) = (newValue[0], newValue[1], newValue[2], newValue[3]) } }
    private var x = 0.0, xDot = 0.0, theta = 0.0, thetaDot = 0.0
    private let suttonBartoReward: Bool

    public init(name: String = "CartPole-v1", suttonBartoReward: Bool = false) {
        self.suttonBartoReward = suttonBartoReward
        let high: [Float] = [Float(Constants.xThreshold * 2), .infinity, Float(Constants.thetaThreshold * 2), .infinity]
        super.init(name: name, observationSpace: .box(low: high.map { -$0 }, high: high, shape: [4]), actionSpace: .discrete(2))
    }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        beginReset(seed: seed)
        let b = Constants.resetBound
        x = -b + 2 * b * rng.nextUniform()
        xDot = -b + 2 * b * rng.nextUniform()
        theta = -b + 2 * b * rng.nextUniform()
        thetaDot = -b + 2 * b * rng.nextUniform()
        write(observation)
    }

    public func setPhysicalState(_ state: [Double]) throws {
        try startEpisode(from: state, names: stateNames) { physicalState = $0 }
    }

    public func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        try beginStep()
        let push = try discreteAction(action, count: 2)
        typealias C = Constants
        let force = push == 1 ? C.forceMagnitude : -C.forceMagnitude
        let cosTheta = Foundation.cos(theta), sinTheta = Foundation.sin(theta)
        // Equations of motion (Florian 2007), grouped as Gymnasium evaluates them so
        // that every rounding agrees: squares are taken before multiplying.
        let temp = (force + C.poleMassLength * (thetaDot * thetaDot) * sinTheta) / C.totalMass
        let thetaAcc = (C.gravity * sinTheta - cosTheta * temp)
            / (C.halfPoleLength * (4.0 / 3.0 - C.poleMass * (cosTheta * cosTheta) / C.totalMass))
        let xAcc = temp - C.poleMassLength * thetaAcc * cosTheta / C.totalMass
        // Explicit Euler, positions first from the old velocities.
        x += C.tau * xDot
        xDot += C.tau * xAcc
        theta += C.tau * thetaDot
        thetaDot += C.tau * thetaAcc
        write(observation)
        let terminated = x < -C.xThreshold || x > C.xThreshold || theta < -C.thetaThreshold || theta > C.thetaThreshold
        let reward: Double = suttonBartoReward ? (terminated ? -1 : 0) : 1
        return finish(StepOutcome(reward: reward, terminated: terminated, truncated: false))
    }

    @inline(__always)
    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(x)
        observation[1] = Float(xDot)
        observation[2] = Float(theta)
        observation[3] = Float(thetaDot)
    }
}
