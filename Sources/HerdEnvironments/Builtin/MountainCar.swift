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
    /// This car's engine and goal; the track is ``MountainCarTrack``.
    public struct Constants {
        /// Goal position, m.
        public static let goalPosition = 0.5
        /// Engine force per step.
        public static let force = 0.001
    }

    public let stateNames = ["position", "velocity"]
    public var physicalState: [Double] { [position, velocity] }
    private var position = 0.0, velocity = 0.0
    private let goalVelocity: Double

    public init(name: String = "MountainCar-v0", goalVelocity: Double = 0) {
        self.goalVelocity = goalVelocity
        super.init(name: name, observationSpace: MountainCarTrack.observationSpace, actionSpace: .discrete(3))
    }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        beginReset(seed: seed)
        position = MountainCarTrack.resetPosition(using: &rng)
        velocity = 0
        MountainCarTrack.write(position: position, velocity: velocity, to: observation)
    }

    public func setPhysicalState(_ state: [Double]) throws {
        try startEpisode(from: state, names: stateNames) { (position, velocity) = ($0[0], $0[1]) }
    }

    public func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        try beginStep()
        typealias T = MountainCarTrack
        let push = try discreteAction(action, count: 3)
        velocity += Double(push - 1) * Constants.force + Foundation.cos(3 * position) * -T.gravity
        velocity = min(max(velocity, -T.maxSpeed), T.maxSpeed)
        position += velocity
        position = min(max(position, T.minPosition), T.maxPosition)
        if position == T.minPosition && velocity < 0 { velocity = 0 }
        T.write(position: position, velocity: velocity, to: observation)
        let terminated = position >= Constants.goalPosition && velocity >= goalVelocity
        return finish(StepOutcome(reward: -1, terminated: terminated, truncated: false))
    }
}
