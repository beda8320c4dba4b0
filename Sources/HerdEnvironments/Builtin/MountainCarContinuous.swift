import HerdCore
import Foundation

/// `MountainCarContinuous-v0`: the mountain car with a continuous engine
/// force, with Gymnasium 1.x's constants and update
/// (`gymnasium/envs/classic_control/continuous_mountain_car.py`).
///
/// - Observation `[position, velocity]`; action `Box(−1, 1, (1,))`, clipped
///   to [−1, 1] inside the dynamics as Gymnasium clips it.
/// - Reward `−0.1·a²` per step, plus 100 on reaching position ≥ 0.45 with
///   velocity ≥ `goal_velocity`. The registry adds a 999-step limit.
/// - Reset: position U(−0.6, −0.4), velocity 0.
///
/// Gymnasium keeps this state in Float32 after each step and, under NumPy 2's
/// promotion rules, computes the force term in Float32 (a Python float times a
/// Float32 scalar stays Float32); both are reproduced so trajectories agree.
public final class MountainCarContinuous: EnvironmentBase, Environment, PhysicalStateAccess {
    /// This car's engine, goal and reward; the track is ``MountainCarTrack``.
    public struct Constants {
        /// Goal position, m (0.45 here, 0.5 in the discrete version).
        public static let goalPosition = 0.45
        /// Engine power per unit action.
        public static let power = 0.0015
        /// Action bounds.
        public static let minAction: Float = -1, maxAction: Float = 1
        /// Reward on reaching the goal.
        public static let goalReward = 100.0
    }

    public let stateNames = ["position", "velocity"]
    public var physicalState: [Double] { [position, velocity] }
    private var position = 0.0, velocity = 0.0
    /// Whether the state is Gymnasium's Float32 array (after the first step)
    /// rather than the Float64 one reset makes: it decides which operations
    /// NumPy performs in Float32.
    private var stateIsFloat32 = false
    private let goalVelocity: Double

    public init(name: String = "MountainCarContinuous-v0", goalVelocity: Double = 0) {
        self.goalVelocity = goalVelocity
        super.init(name: name, observationSpace: MountainCarTrack.observationSpace,
                   actionSpace: .box(low: Constants.minAction, high: Constants.maxAction, shape: [1]))
    }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        beginReset(seed: seed)
        position = MountainCarTrack.resetPosition(using: &rng)
        velocity = 0
        stateIsFloat32 = false
        MountainCarTrack.write(position: position, velocity: velocity, to: observation)
    }

    public func setPhysicalState(_ state: [Double]) throws {
        try startEpisode(from: state, names: stateNames) { (position, velocity) = ($0[0], $0[1]) }
        stateIsFloat32 = false
    }

    public func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        try beginStep()
        typealias C = Constants
        typealias T = MountainCarTrack
        let a = try continuousAction(action)[0]
        let force = min(max(a, C.minAction), C.maxAction)
        // Float32 arithmetic where NumPy 2 uses it: `force * power - 0.0025 * cos(3 * position)`
        // is Float32 (Python floats adopt the Float32 operand's type), and so are
        // `3 * position` and the velocity update once the state is Float32.
        // Python's min/max return the Python float bound when they clip, and then
        // the force term is a Double.
        let threePosition = stateIsFloat32 ? Double(3 * Float(position)) : 3 * position
        let gravityTerm = T.gravity * Foundation.cos(threePosition)
        let clipped = a < C.minAction || a > C.maxAction
        let acceleration = clipped ? Double(force) * C.power - gravityTerm : Double(force * Float(C.power) - Float(gravityTerm))
        velocity = stateIsFloat32 ? Double(Float(velocity) + Float(acceleration)) : velocity + acceleration
        if velocity > T.maxSpeed { velocity = T.maxSpeed }
        if velocity < -T.maxSpeed { velocity = -T.maxSpeed }
        position += velocity
        if position > T.maxPosition { position = T.maxPosition }
        if position < T.minPosition { position = T.minPosition }
        if position == T.minPosition && velocity < 0 { velocity = 0 }
        let terminated = position >= C.goalPosition && velocity >= goalVelocity
        // Gymnasium stores the new state as a Float32 array.
        position = Double(Float(position))
        velocity = Double(Float(velocity))
        stateIsFloat32 = true
        T.write(position: position, velocity: velocity, to: observation)
        // Gymnasium: reward -= math.pow(action[0], 2) * 0.1
        let reward = (terminated ? C.goalReward : 0) - pythonSquare(Double(a)) * 0.1
        return finish(StepOutcome(reward: reward, terminated: terminated, truncated: false))
    }
}
