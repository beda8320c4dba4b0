import Foundation
import HerdAgents
import HerdCore
import HerdRuntime
import HerdTensor
import HerdTraining

/// `herd bench inference`: end-to-end environment steps per second through
/// the central ``InferenceServer`` with an ``ActorCritic`` policy (no
/// learning; a consumer thread takes the unrolls as a learner would), with
/// the server's request-to-action latency and mean batch. For the ratio the
/// issue asks about, the same workers and environments are then driven
/// asynchronously with random actions and no policy (the bare pool).
public struct InferenceBenchmark {
    public var configuration: PoolConfiguration
    public var network: NetworkSettings
    public var device: Device
    public var steps: Int
    public var inference: InferenceSettings
    /// Also time the bare pool on the same layout.
    public var compareWithPool = true

    public init(configuration: PoolConfiguration, network: NetworkSettings, device: Device, steps: Int, inference: InferenceSettings) {
        self.configuration = configuration
        self.network = network
        self.device = device
        self.steps = steps
        self.inference = inference
    }

    public struct Result: Sendable {
        public var steps: Int
        public var seconds: Double
        public var statistics: InferenceServer.Statistics
        public var barePoolStepsPerSecond: Double?
        public var deviceUtilization: Double
        /// The simulated device's modelled time (kernels and link) per
        /// environment step, warm-up included; 0 on the host.
        public var deviceSecondsPerStep: Double
        public var stepsPerSecond: Double { Double(steps) / seconds }
    }

    public func run() throws -> Result {
        let pool = try ProcessPool(configuration)
        var closed = false
        defer { if !closed { pool.close() } }
        let head: ActionHead = pool.discreteActions.map { .categorical(classes: $0) } ?? .gaussian(dimension: pool.actionSize)
        var random = RandomGenerator(seed: configuration.seed, stream: 1)
        let net = ActorCritic(observationSize: pool.observationSize, observationShape: pool.observationShape, head: head,
                              settings: network, using: &random)
        let policy = try ActorCriticInferencePolicy(network: net, observationSize: pool.observationSize, device: device,
                                                    seed: configuration.seed)
        let server = InferenceServer(pool: pool, policy: policy, settings: inference)
        device.resetCounters()
        try server.start()
        // Warm-up: a tenth of the steps, then the timed part.
        func consume(until target: Int) throws {
            while server.environmentSteps < target {
                if server.unrolls.take(timeout: 0.25) == nil, let error = server.error { throw error }
            }
        }
        try consume(until: steps / 10)
        let startSteps = server.environmentSteps
        let start = TensorBenchmark.now()
        try consume(until: startSteps + steps)
        let seconds = TensorBenchmark.now() - start
        let statistics = server.statistics
        let done = statistics.environmentSteps - startSteps
        try server.stop()
        let counters = device.counters
        let utilization = counters.utilization
        let deviceSecondsPerStep = (counters.busySeconds + counters.transferSeconds) / Double(max(statistics.environmentSteps, 1))
        pool.close()
        closed = true

        var bare: Double?
        if compareWithPool {
            var poolConfiguration = configuration
            poolConfiguration.endpoint = nil
            var benchmark = PoolBenchmark(configuration: poolConfiguration, steps: steps, asyncBatchSize: min(inference.fullBatchSize, configuration.environmentCount))
            benchmark.latencyRoundTrips = 0
            bare = try benchmark.run().stepsPerSecond
        }
        return Result(steps: done, seconds: seconds, statistics: statistics, barePoolStepsPerSecond: bare, deviceUtilization: utilization,
                      deviceSecondsPerStep: deviceSecondsPerStep)
    }
}
