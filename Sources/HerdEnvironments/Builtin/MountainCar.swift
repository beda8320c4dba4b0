import HerdCore
import Foundation

/// `MountainCar-v0`: drive an under-powered car up the right hill (Moore
/// 1990), with Gymnasium 1.x's constants and update
/// (`gymnasium/envs/classic_control/mountain_car.py`).
///
/// - Observation `[position, velocity]` (m, m/step).
/// - Action `Discrete(3)`: accelerate left, coast, accelerate right.
/// - Reward −1 per step; terminates at position ≥ 0.5 with velocity ≥
///   `goal_velocity` (default 0). The registry adds a 200-step limit.
/// - Reset: position U(−0.6, −0.4), velocity 0.
public final class MountainCar: EnvironmentBase, Environment, PhysicalStateAccess {
    public struct Constants {
        /// Track bounds, m.
        public static let minPosition = -1.2, maxPosition = 0.6
        /// Speed bound, m/step.
        public static let maxSpeed = 0.07
        /// Goal position, m.
        public static let goalPosition = 0.5
        /// Engine force per step.
        public static let force = 0.001
        /// Gravity term per step.
        public static let gravity = 0.0025
        /// Reset position range, m.
        public static let resetLow = -0.6, resetHigh = -0.4
    }

    public let stateNames = ["position", "velocity"]
    public var physicalState: [Double] { [position, velocity] }
    private var position = 0.0, velocity = 0.0
    private let goalVelocity: Double

    public init(name: String = "MountainCar-v0", goalVelocity: Double = 0) {
        self.goalVelocity = goalVelocity
        typealias C = Constants
        super.init(name: name,
                   observationSpace: .box(low: [Float(C.minPosition), Float(-C.maxSpeed)],
                                          high: [Float(C.maxPosition), Float(C.maxSpeed)], shape: [2]),
                   actionSpace: .discrete(3))
    }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        beginReset(seed: seed)
        position = Constants.resetLow + (Constants.resetHigh - Constants.resetLow) * rng.nextUniform()
        velocity = 0
        write(observation)
    }

    public func setPhysicalState(_ state: [Double]) throws {
        try checkState(state, names: stateNames)
        (position, velocity) = (state[0], state[1])
        needsReset = false
    }

    public func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        try beginStep()
        typealias C = Constants
        let push = try discreteAction(action, count: 3)
        velocity += Double(push - 1) * C.force + Foundation.cos(3 * position) * -C.gravity
        velocity = min(max(velocity, -C.maxSpeed), C.maxSpeed)
        position += velocity
        position = min(max(position, C.minPosition), C.maxPosition)
        if position == C.minPosition && velocity < 0 { velocity = 0 }
        write(observation)
        let terminated = position >= C.goalPosition && velocity >= goalVelocity
        return finish(StepOutcome(reward: -1, terminated: terminated, truncated: false))
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(position)
        observation[1] = Float(velocity)
    }
}
