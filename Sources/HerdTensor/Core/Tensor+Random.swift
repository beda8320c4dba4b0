@_exported import HerdCore

extension Tensor {
    /// Samples from 𝒩(mean, std²), on the host.
    public static func randomNormal(_ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape, device: .cpu)
        for i in 0..<t.count { t.base[i] = mean + std * Float(rng.nextNormal()) }
        return t
    }

    /// Samples from U[low, high), on the host.
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(uninitializedShape: shape, device: .cpu)
        for i in 0..<t.count { t.base[i] = low + (high - low) * Float(rng.nextUniform()) }
        return t
    }
}
