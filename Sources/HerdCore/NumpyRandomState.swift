/// numpy's legacy `np.random.RandomState`: the MT19937 generator (Matsumoto &
/// Nishimura 1998) with numpy's seeding and the sampling functions built on
/// it, draw for draw. Environments whose reference implementation draws from
/// a `RandomState` (MinAtar) use it, so that the same seed gives the same
/// game as the reference.
///
/// What numpy does, from its documentation and the C sources of
/// `numpy.random` (`mt19937.c`, `distributions.c`, `_bounded_integers`):
/// - `RandomState(seed)` for an integer seed in `0 ..< 2³²` fills the state
///   with Knuth's linear recurrence (`init_genrand`, multiplier 1812433253);
/// - `rand()` / `random_sample()` is a 53-bit double from two words:
///   `((a >> 5) · 2²⁶ + (b >> 6)) / 2⁵³`;
/// - `randint(low, high)` (int64, the default) draws words masked to the
///   smallest all-ones mask covering `high − low − 1` and rejects values
///   above it; an empty range (`high − low == 1`) returns `low` without a draw.
public struct NumpyRandomState: Sendable, Equatable {
    private static let n = 624, m = 397
    private var key = [UInt32](repeating: 0, count: 624)
    private var position = 624

    /// `np.random.RandomState(seed)`.
    public init(seed: UInt32) {
        var s = seed
        for i in 0..<Self.n {
            key[i] = s
            s = 1_812_433_253 &* (s ^ (s >> 30)) &+ UInt32(i + 1)
        }
        position = Self.n
    }

    /// The next 32-bit word of MT19937.
    public mutating func nextUInt32() -> UInt32 {
        if position >= Self.n { regenerate() }
        var y = key[position]
        position += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func regenerate() {
        let upper: UInt32 = 0x8000_0000, lower: UInt32 = 0x7FFF_FFFF, matrix: UInt32 = 0x9908_B0DF
        key.withUnsafeMutableBufferPointer { k in
            for i in 0..<Self.n {
                let y = (k[i] & upper) | (k[(i + 1) % Self.n] & lower)
                k[i] = k[(i + Self.m) % Self.n] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : matrix)
            }
        }
        position = 0
    }

    /// `rand()`: a double in `[0, 1)` with 53 random bits.
    public mutating func rand() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864 + b) / 9_007_199_254_740_992
    }

    /// `randint(low, high)`: an integer in `low ..< high` (numpy's masked
    /// rejection sampling for ranges below 2³²).
    public mutating func randint(_ low: Int, _ high: Int) -> Int {
        require(high > low && UInt64(high - low - 1) <= UInt64(UInt32.max), "randint: bad range \(low)..<\(high)")
        let range = UInt32(high - low - 1)
        if range == 0 { return low }
        var mask = range
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16
        while true {
            let value = nextUInt32() & mask
            if value <= range { return low + Int(value) }
        }
    }

    /// `randint(n)`: an integer in `0 ..< n`.
    public mutating func randint(_ n: Int) -> Int { randint(0, n) }
}
