import Foundation
import HerdEnvironments
import HerdRuntime
import HerdTraining

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
    /// Equal parts of the timed steps whose rates are reported one by one
    /// (``Result/windowStepsPerSecond``).
    public var windows = 10

    public init(configuration: PoolConfiguration, steps: Int, asyncBatchSize: Int? = nil) {
        self.configuration = configuration
        self.steps = steps
        self.asyncBatchSize = asyncBatchSize
    }

    public struct Result: Sendable {
        public var steps: Int
        public var seconds: Double
        /// Steps per second in each window, in order.
        public var windowStepsPerSecond: [Double]
        public var workersReplaced: Int
        public var latencyP50Microseconds: Double
        public var latencyP99Microseconds: Double
        /// The wire dtype of observations and the observation bytes received
        /// per environment step in the timed run (rows and final observations).
        public var observationDType: String
        public var observationBytesPerStep: Double
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
        // One loop serves the warm-up (a tenth of the steps, not timed) and
        // the timed run, which notes the clock at the end of each window.
        func drive(_ steps: Int, windows: Int, mark: (Int, Double) -> Void) throws {
            let width = max(1, steps / windows)
            var done = 0, nextMark = width
            func advance(_ count: Int) {
                done += count
                while done >= nextMark, nextMark <= steps {
                    mark(done, TensorBenchmark.now())
                    nextMark += width
                }
            }
            if let batchSize = asyncBatchSize {
                try pool.send(randomActions(n), environmentIDs: Array(0..<n))
                while done < steps {
                    let batch = try pool.receive(batchSize: batchSize)
                    advance(batch.count)
                    try pool.send(randomActions(batch.count), environmentIDs: batch.environmentIDs)
                }
                // Collect what is still in flight, so the next loop (or closing) starts from idle workers.
                _ = try pool.receive(batchSize: n)
            } else {
                while done < steps {
                    _ = try pool.step(randomActions(n))
                    advance(n)
                }
            }
        }
        try drive(max(steps / 10, n), windows: 1) { _, _ in }
        var marks: [(steps: Int, time: Double)] = []
        let bytesBefore = pool.observationBytesReceived
        let start = TensorBenchmark.now()
        try drive(steps, windows: max(1, windows)) { marks.append(($0, $1)) }
        let seconds = (marks.last?.time ?? TensorBenchmark.now()) - start
        let done = marks.last?.steps ?? steps
        let bytesPerStep = Double(pool.observationBytesReceived - bytesBefore) / Double(max(done, 1))
        var windowRates: [Double] = []
        var previous = (steps: 0, time: start)
        for mark in marks {
            windowRates.append(Double(mark.steps - previous.steps) / (mark.time - previous.time))
            previous = mark
        }
        let replaced = pool.workersReplaced
        let (p50, p99) = latencyRoundTrips > 0 ? try latency() : (Double.nan, Double.nan)
        return Result(steps: done, seconds: seconds, windowStepsPerSecond: windowRates, workersReplaced: replaced,
                      latencyP50Microseconds: p50, latencyP99Microseconds: p99,
                      observationDType: "\(pool.observationDType)", observationBytesPerStep: bytesPerStep)
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
