import Foundation
import HerdEnvironments
import HerdRuntime

/// `herd bench envs` (pool mode): the process pool driven with random actions
/// chosen on the learner side (the full round trip), synchronous or
/// asynchronous, and the round-trip latency of a 1-worker, 1-environment pool.
public struct PoolBenchmark {
    public var configuration: PoolConfiguration
    public var steps: Int
    /// Asynchronous mode: receive this many environments at a time; `nil` for synchronous.
    public var asyncBatchSize: Int?
    /// Round trips timed for the latency figures (0: skip them).
    public var latencyRoundTrips = 2000

    public init(configuration: PoolConfiguration, steps: Int, asyncBatchSize: Int? = nil) {
        self.configuration = configuration
        self.steps = steps
        self.asyncBatchSize = asyncBatchSize
    }

    public struct Result: Sendable {
        public var steps: Int
        public var seconds: Double
        public var workersReplaced: Int
        public var latencyP50Microseconds: Double
        public var latencyP99Microseconds: Double
        public var stepsPerSecond: Double { Double(steps) / seconds }
    }

    public func run() throws -> Result {
        let pool = try ProcessPool(configuration)
        defer { pool.close() }
        var rng = RandomGenerator(seed: configuration.seed)
        func randomActions(_ count: Int) -> [Float] {
            (0..<(count * pool.actionSize)).map { _ in
                if let n = pool.discreteActions { return Float(rng.next() % UInt64(n)) }
                return Float(rng.nextUniform() * 2 - 1)
            }
        }
        _ = try pool.reset()
        let n = pool.environmentCount
        var done = 0
        let start = TensorBenchmark.now()
        if let batchSize = asyncBatchSize {
            try pool.send(randomActions(n), environmentIDs: Array(0..<n))
            while done < steps {
                let batch = try pool.receive(batchSize: batchSize)
                done += batch.count
                try pool.send(randomActions(batch.count), environmentIDs: batch.environmentIDs)
            }
            // Drain what is still in flight so the pool closes cleanly.
            _ = try pool.receive(batchSize: n)
        } else {
            while done < steps {
                _ = try pool.step(randomActions(n))
                done += n
            }
        }
        let seconds = TensorBenchmark.now() - start
        let replaced = pool.workersReplaced
        let (p50, p99) = latencyRoundTrips > 0 ? try latency() : (Double.nan, Double.nan)
        return Result(steps: done, seconds: seconds, workersReplaced: replaced, latencyP50Microseconds: p50, latencyP99Microseconds: p99)
    }

    /// p50 and p99 of one synchronous round trip through a 1 × 1 pool, µs.
    func latency() throws -> (Double, Double) {
        var single = configuration
        single.workers = 1
        single.environmentsPerWorker = 1
        single.endpoint = nil
        let pool = try ProcessPool(single)
        defer { pool.close() }
        _ = try pool.reset()
        let action: [Float] = [Float](repeating: 0, count: pool.actionSize)
        for _ in 0..<100 { _ = try pool.step(action) }
        var samples: [Double] = []
        samples.reserveCapacity(latencyRoundTrips)
        for _ in 0..<latencyRoundTrips {
            let t0 = TensorBenchmark.now()
            _ = try pool.step(action)
            samples.append((TensorBenchmark.now() - t0) * 1e6)
        }
        samples.sort()
        return (samples[samples.count / 2], samples[min(samples.count - 1, samples.count * 99 / 100)])
    }
}
