import HerdCore

/// The track both mountain cars drive on (Moore 1990, as Gymnasium 1.x
/// defines it): the hill `sin(3x)`, position and speed bounds, the gravity
/// term and the reset range. Each car adds its own engine and goal.
public enum MountainCarTrack {
    /// Track bounds, m.
    public static let minPosition = -1.2, maxPosition = 0.6
    /// Speed bound, m/step.
    public static let maxSpeed = 0.07
    /// Gravity term per step (multiplies cos 3x).
    public static let gravity = 0.0025
    /// Reset draws the position from U(resetLow, resetHigh), velocity 0.
    public static let resetLow = -0.6, resetHigh = -0.4

    /// The observation space `[position, velocity]`.
    static var observationSpace: Space {
        .box(low: [Float(minPosition), Float(-maxSpeed)], high: [Float(maxPosition), Float(maxSpeed)], shape: [2])
    }

    /// A reset position.
    static func resetPosition(using rng: inout RandomGenerator) -> Double {
        resetLow + (resetHigh - resetLow) * rng.nextUniform()
    }

    static func write(position: Double, velocity: Double, to observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(position)
        observation[1] = Float(velocity)
    }
}
