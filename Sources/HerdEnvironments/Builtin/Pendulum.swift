import HerdCore
import Foundation

/// `Pendulum-v1`: swing up and hold an inverted pendulum with limited torque,
/// with Gymnasium 1.x's constants and semi-implicit Euler update
/// (`gymnasium/envs/classic_control/pendulum.py`).
///
/// - State `[θ, θ̇]` (rad, rad/s; θ = 0 is upright); observation
///   `[cos θ, sin θ, θ̇]`.
/// - Action `Box(−2, 2, (1,))` torque in N·m, clipped to ±2 as Gymnasium clips it.
/// - Reward `−(normalize(θ)² + 0.1·θ̇² + 0.001·u²)`; never terminates; the
///   registry adds a 200-step limit.
/// - Reset: θ U(−π, π), θ̇ U(−1, 1).
///
/// The torque terms are computed in Float32, as NumPy 2 does for a Float32
/// action (`3.0 * u` and `0.001 * u**2` stay Float32), and squares written
/// `**2` go through `pow` (see ``pythonSquare(_:)``), so rewards agree exactly.
public final class Pendulum: EnvironmentBase, Environment, PhysicalStateAccess {
    public struct Constants {
        /// Angular speed bound, rad/s.
        public static let maxSpeed = 8.0
        /// Torque bound, N·m.
        public static let maxTorque: Float = 2
        /// Time step, s.
        public static let dt = 0.05
        /// Mass, kg, and length, m.
        public static let mass = 1.0, length = 1.0
        /// Reset bounds: θ in ±π, θ̇ in ±1.
        public static let resetAngle = Double.pi, resetSpeed = 1.0
    }

    public let stateNames = ["theta", "theta_dot"]
    public var physicalState: [Double] { [theta, thetaDot] }
    private var theta = 0.0, thetaDot = 0.0
    /// Gravity, m/s² (Gymnasium's `g`, default 10).
    public let gravity: Double

    public init(name: String = "Pendulum-v1", gravity: Double = 10) {
        self.gravity = gravity
        let high: [Float] = [1, 1, Float(Constants.maxSpeed)]
        super.init(name: name, observationSpace: .box(low: high.map { -$0 }, high: high, shape: [3]),
                   actionSpace: .box(low: -Constants.maxTorque, high: Constants.maxTorque, shape: [1]))
    }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        beginReset(seed: seed)
        theta = -Constants.resetAngle + 2 * Constants.resetAngle * rng.nextUniform()
        thetaDot = -Constants.resetSpeed + 2 * Constants.resetSpeed * rng.nextUniform()
        write(observation)
    }

    public func setPhysicalState(_ state: [Double]) throws {
        try startEpisode(from: state, names: stateNames) { (theta, thetaDot) = ($0[0], $0[1]) }
    }

    public func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        try beginStep()
        typealias C = Constants
        let u = min(max(try continuousAction(action)[0], -C.maxTorque), C.maxTorque)
        let normalized = Self.angleNormalize(theta)
        // Gymnasium: angle_normalize(th) ** 2 + 0.1 * thdot**2 + 0.001 * (u**2).
        let costs = pythonSquare(normalized) + 0.1 * pythonSquare(thetaDot) + Double(Float(0.001) * pythonSquare(u))
        let g = gravity, l = C.length, m = C.mass
        var newThetaDot = thetaDot + (3 * g / (2 * l) * Foundation.sin(theta) + Double(Float(3.0 / (m * l * l)) * u)) * C.dt
        newThetaDot = min(max(newThetaDot, -C.maxSpeed), C.maxSpeed)
        theta += newThetaDot * C.dt
        thetaDot = newThetaDot
        write(observation)
        return finish(StepOutcome(reward: -costs, terminated: false, truncated: false))
    }

    /// `((x + π) mod 2π) − π` with NumPy's floor-style modulo (the result
    /// takes the divisor's sign).
    static func angleNormalize(_ x: Double) -> Double {
        let period = 2 * Double.pi
        var r = Foundation.fmod(x + Double.pi, period)
        if r != 0, r < 0 { r += period }
        return r - Double.pi
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(Foundation.cos(theta))
        observation[1] = Float(Foundation.sin(theta))
        observation[2] = Float(thetaDot)
    }
}
