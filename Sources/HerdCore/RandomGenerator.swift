import Foundation

/// A seeded pseudo-random generator (xoshiro256**, Blackman & Vigna 2018),
/// seeded through SplitMix64 as its authors recommend. There is no global
/// generator: every random draw in Herd takes one of these explicitly, so the
/// same seed gives the same numbers on every run and platform.
public struct RandomGenerator: RandomNumberGenerator, Codable, Equatable, Sendable {
    /// The four state words; save them to resume the exact stream.
    public private(set) var state: [UInt64]

    /// A generator for `seed`, or for stream `stream` of `seed`: environment
    /// `i` of a run uses `RandomGenerator(seed: runSeed, stream: i)`, so
    /// streams never depend on how many other streams exist.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var sm = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ (stream == 0 ? 0 : 0xD1B5_4A32_D192_ED03)
        state = (0..<4).map { _ in Self.splitMix64(&sm) }
        if state.allSatisfy({ $0 == 0 }) { state[0] = 1 }
    }

    /// Restores a saved state.
    public init(state: [UInt64]) {
        require(state.count == 4 && state.contains { $0 != 0 }, "RandomGenerator needs four words, not all zero")
        self.state = state
    }

    private static func splitMix64(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by the Box–Muller transform.
    public mutating func nextNormal() -> Double {
        let u1 = 1 - nextUniform()  // (0, 1]
        let u2 = nextUniform()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}
