import HerdCore
import Foundation

/// `Acrobot-v1`: swing a two-link pendulum, actuated at the middle joint, up
/// past a line one link-length above the base (Sutton 1996; Sutton & Barto's
/// book dynamics), with Gymnasium 1.x's constants and RK4 integrator
/// (`gymnasium/envs/classic_control/acrobot.py`, `book_or_nips = "book"`).
///
/// - State `[θ₁, θ₂, θ̇₁, θ̇₂]` (rad, rad/s); observation
///   `[cos θ₁, sin θ₁, cos θ₂, sin θ₂, θ̇₁, θ̇₂]`.
/// - Action `Discrete(3)`: torque −1, 0, +1 N·m on the joint.
/// - Reward −1 per step, 0 on the terminating step; terminates when
///   `−cos θ₁ − cos(θ₁ + θ₂) > 1`. The registry adds a 500-step limit.
/// - Reset: each component U(−0.1, 0.1), rounded to Float32 as Gymnasium does.
public final class Acrobot: EnvironmentBase, Environment, PhysicalStateAccess {
    public struct Constants {
        /// Integration time step, s.
        public static let dt = 0.2
        /// Link lengths, m (only the first enters the dynamics).
        public static let linkLength1 = 1.0
        /// Link masses, kg.
        public static let linkMass1 = 1.0, linkMass2 = 1.0
        /// Positions of the links' centres of mass, m.
        public static let linkCenterOfMass1 = 0.5, linkCenterOfMass2 = 0.5
        /// Moment of inertia of each link, kg·m².
        public static let linkMomentOfInertia = 1.0
        /// Velocity bounds, rad/s.
        public static let maxVelocity1 = 4 * Double.pi, maxVelocity2 = 9 * Double.pi
        /// Torques of the three actions, N·m.
        public static let torques: [Double] = [-1, 0, 1]
        /// Gravity, m/s².
        public static let gravity = 9.8
        /// Reset draws each component from U(−resetBound, resetBound).
        public static let resetBound = 0.1
    }

    public let stateNames = ["theta1", "theta2", "dtheta1", "dtheta2"]
    public var physicalState: [Double] { [state[0], state[1], state[2], state[3]] }
    /// `[θ₁, θ₂, θ̇₁, θ̇₂]`; SIMD lanes keep RK4 free of allocations, and each
    /// lane does exactly the scalar operations Gymnasium does.
    private var state = SIMD4<Double>()

    public init(name: String = "Acrobot-v1") {
        let high: [Float] = [1, 1, 1, 1, Float(Constants.maxVelocity1), Float(Constants.maxVelocity2)]
        super.init(name: name, observationSpace: .box(low: high.map { -$0 }, high: high, shape: [6]), actionSpace: .discrete(3))
    }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        beginReset(seed: seed)
        let b = Constants.resetBound
        for i in 0..<4 { state[i] = Double(Float(-b + 2 * b * rng.nextUniform())) }
        write(observation)
    }

    public func setPhysicalState(_ state: [Double]) throws {
        try startEpisode(from: state, names: stateNames) { self.state = SIMD4($0) }
    }

    public func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        try beginStep()
        let torque = Constants.torques[try discreteAction(action, count: 3)]
        var s = rungeKutta4(state, torque: torque, dt: Constants.dt)
        s[0] = wrap(s[0], -Double.pi, Double.pi)
        s[1] = wrap(s[1], -Double.pi, Double.pi)
        s[2] = min(max(s[2], -Constants.maxVelocity1), Constants.maxVelocity1)
        s[3] = min(max(s[3], -Constants.maxVelocity2), Constants.maxVelocity2)
        state = s
        write(observation)
        let terminated = -Foundation.cos(s[0]) - Foundation.cos(s[1] + s[0]) > 1.0
        return finish(StepOutcome(reward: terminated ? 0 : -1, terminated: terminated, truncated: false))
    }

    private static let lc1Squared = pythonSquare(Constants.linkCenterOfMass1)
    private static let l1Squared = pythonSquare(Constants.linkLength1)
    private static let lc2Squared = pythonSquare(Constants.linkCenterOfMass2)

    /// Time derivative of the state under `torque` (the book's equations).
    func derivative(_ s: SIMD4<Double>, torque a: Double) -> SIMD4<Double> {
        typealias C = Constants
        let (m1, m2, l1, lc1, lc2) = (C.linkMass1, C.linkMass2, C.linkLength1, C.linkCenterOfMass1, C.linkCenterOfMass2)
        let (i1, i2, g) = (C.linkMomentOfInertia, C.linkMomentOfInertia, C.gravity)
        let (theta1, theta2, dtheta1, dtheta2) = (s[0], s[1], s[2], s[3])
        // Grouped as Gymnasium evaluates them, with its `**2` as `pow` (pythonSquare),
        // so every rounding agrees. The constants' squares are computed once.
        let sq = pythonSquare as (Double) -> Double
        let (lc1Squared, l1Squared, lc2Squared) = (Self.lc1Squared, Self.l1Squared, Self.lc2Squared)
        let d1 = m1 * lc1Squared + m2 * (l1Squared + lc2Squared + 2 * l1 * lc2 * Foundation.cos(theta2)) + i1 + i2
        let d2 = m2 * (lc2Squared + l1 * lc2 * Foundation.cos(theta2)) + i2
        let phi2 = m2 * lc2 * g * Foundation.cos(theta1 + theta2 - Double.pi / 2.0)
        let phi1 = -m2 * l1 * lc2 * sq(dtheta2) * Foundation.sin(theta2)
            - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Foundation.sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * Foundation.cos(theta1 - Double.pi / 2)
            + phi2
        let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * sq(dtheta1) * Foundation.sin(theta2) - phi2)
            / (m2 * lc2Squared + i2 - sq(d2) / d1)
        let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
        return SIMD4(dtheta1, dtheta2, ddtheta1, ddtheta2)
    }

    /// One classical fourth-order Runge–Kutta step of length `dt`.
    func rungeKutta4(_ y: SIMD4<Double>, torque: Double, dt: Double) -> SIMD4<Double> {
        let half = dt / 2.0
        let k1 = derivative(y, torque: torque)
        let k2 = derivative(y + half * k1, torque: torque)
        let k3 = derivative(y + half * k2, torque: torque)
        let k4 = derivative(y + dt * k3, torque: torque)
        return y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    }

    /// `x` shifted by whole periods into `[low, high]`.
    func wrap(_ x: Double, _ low: Double, _ high: Double) -> Double {
        let period = high - low
        var x = x
        while x > high { x -= period }
        while x < low { x += period }
        return x
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        let s = state
        observation[0] = Float(Foundation.cos(s[0]))
        observation[1] = Float(Foundation.sin(s[0]))
        observation[2] = Float(Foundation.cos(s[1]))
        observation[3] = Float(Foundation.sin(s[1]))
        observation[4] = Float(s[2])
        observation[5] = Float(s[3])
    }
}
