import Foundation
import HerdAgents
import HerdCore
import HerdRuntime
import HerdTensor

/// What an agent is given to build its run (``Agent/start(_:context:)``):
/// the config, the device, the worker pool and how actions map to the
/// environments, the run's seed, and the one data source it opens, either
/// ``lockstep()`` or ``inference(policy:settings:)``. The training loop
/// owns the context and reads steps, timings and figures from the source.
public final class TrainingContext {
    public let config: TrainConfig
    public let device: Device
    public let pool: ProcessPool
    /// Maps the policy's actions to the environments' (Box bounds) and names the action head.
    public let mapping: ActionMapping
    public let log: (String) -> Void
    /// Per-environment episode bookkeeping, fed by the data source.
    public internal(set) var episodes: EpisodeBook
    /// Environment steps before this session (a resumed run's checkpoint).
    public internal(set) var stepsAtStart = 0
    public private(set) var source: DataSource?
    private let dataSource: DataSourceKind

    init(config: TrainConfig, device: Device, pool: ProcessPool, mapping: ActionMapping, dataSource: DataSourceKind,
         log: @escaping (String) -> Void) {
        self.config = config
        self.device = device
        self.pool = pool
        self.mapping = mapping
        self.dataSource = dataSource
        self.log = log
        episodes = EpisodeBook(environments: pool.environmentCount)
    }

    public var head: ActionHead { mapping.head }
    public var observationSize: Int { pool.observationSize }
    public var observationShape: [Int]? { pool.observationShape }
    public var environmentCount: Int { pool.environmentCount }
    public var seed: UInt64 { UInt64(config.seed) }

    /// Environment steps of the whole run so far.
    public var environmentSteps: Int { stepsAtStart + (source?.environmentSteps ?? 0) }
    /// Whether the run has taken `total_steps`.
    public var reachedTotalSteps: Bool { environmentSteps >= config.totalSteps }

    /// The lockstep source (opened once).
    public func lockstep() -> LockstepSource {
        require(dataSource == .lockstep, "agent \(config.agent) declares data source \(dataSource) but opened the lockstep one")
        if let existing = source as? LockstepSource { return existing }
        require(source == nil, "an agent opens one data source")
        let opened = LockstepSource(pool: pool, context: self)
        source = opened
        return opened
    }

    /// Central inference with `policy` (opened once; the server starts at the first unroll taken).
    public func inference(policy: InferencePolicy, settings: InferenceSettings) -> UnrollSource {
        require(dataSource == .inference, "agent \(config.agent) declares data source \(dataSource) but opened central inference")
        require(source == nil, "an agent opens one data source")
        let opened = UnrollSource(server: InferenceServer(pool: pool, policy: policy, settings: settings), context: self)
        source = opened
        return opened
    }

    /// Evaluates `policy` with the config's evaluation settings (seeds apart
    /// from training's; built-in environments in this process, others in
    /// worker processes started for the evaluation).
    func evaluate(_ policy: any TrainedPolicy) throws -> EvaluationResult {
        let seed = UInt64(config.seed) &+ 1_000_003
        var evaluator = Evaluator(environment: config.environment, episodes: config.evaluation.episodes, seed: seed)
        evaluator.workers = config.environment.resolvedWorkers
        evaluator.herdExecutable = pool.configuration.herdExecutable
        return try evaluator.run(policy.acting(deterministic: config.evaluation.deterministic, seed: seed, device: device))
    }
}
