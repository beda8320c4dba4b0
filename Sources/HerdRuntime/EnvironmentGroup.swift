import HerdEnvironments
import HerdTransport

/// The `k` environments one worker hosts, stepped together, with Herd's
/// auto-reset: when a step ends an episode, the environment is reset at once;
/// the step's observation is the new episode's first, its reward and flags
/// are the ended episode's, and the ended episode's last observation is
/// reported beside it (`Results.finalObservations`). No step is wasted on a
/// reset, and a truncated episode can still be bootstrapped from its real
/// final state.
///
/// Environment `j` is reset with `seeds[j]` the first time, then continues
/// its own random stream.
public final class EnvironmentGroup {
    public let environments: [Environment]
    public let seeds: [UInt64]
    public let observationSpace: Space
    public let actionSpace: Space
    /// How observations travel: u8 for byte observations, else f32, or bf16
    /// when the learner asks for it.
    public let observationDType: ObservationDType
    private var seeded = false

    public init(environment name: String, settings: [String: SettingValue], seeds: [UInt64],
                observationEncoding: ObservationEncoding = .native) throws {
        require(!seeds.isEmpty, "an environment group needs at least one environment")
        environments = try seeds.map { _ in try EnvironmentRegistry.make(name, settings: settings) }
        self.seeds = seeds
        observationSpace = environments[0].observationSpace
        actionSpace = environments[0].actionSpace
        switch (observationEncoding, environments[0].observationElements) {
        case (.f32, _): observationDType = .f32
        case (_, .uint8): observationDType = .u8
        case (.bf16, .float32): observationDType = .bf16
        case (.native, .float32): observationDType = .f32
        }
    }

    public var count: Int { environments.count }

    /// What a worker reports in `ready`.
    public var ready: Ready {
        let discrete: UInt32
        if case let .discrete(n) = actionSpace { discrete = UInt32(n) } else { discrete = 0 }
        return Ready(environmentCount: UInt32(count), observationSize: UInt32(observationSpace.flatCount),
                     actionSize: UInt32(actionSpace.flatCount), actionKind: discrete > 0 ? 0 : 1, discreteActions: discrete,
                     observationShape: observationSpace.shape.isEmpty ? [1] : observationSpace.shape.map(UInt32.init),
                     observationDType: observationDType)
    }

    /// Resets every environment (with its seed the first time).
    public func reset() -> Results {
        let size = observationSpace.flatCount
        var observations = [Float](repeating: 0, count: count * size)
        observations.withUnsafeMutableBufferPointer { all in
            for (j, env) in environments.enumerated() {
                env.reset(seed: seeded ? nil : seeds[j], into: UnsafeMutableBufferPointer(rebasing: all[(j * size)..<((j + 1) * size)]))
            }
        }
        seeded = true
        return Results(environmentCount: UInt32(count), observationSize: UInt32(size), observations: ObservationBlock(observations, as: observationDType),
                       rewards: [Double](repeating: 0, count: count), terminated: [Bool](repeating: false, count: count),
                       truncated: [Bool](repeating: false, count: count), finalObservations: [])
    }

    /// Steps every environment with its action (`[k, actionSize]`). Every
    /// action is checked before any environment moves, so a bad batch
    /// changes nothing.
    public func step(_ actions: [Float]) throws -> Results {
        let size = observationSpace.flatCount, actionSize = actionSpace.flatCount
        require(actions.count == count * actionSize, "\(actions.count) action values for \(count) × \(actionSize)")
        try actions.withUnsafeBufferPointer { all in
            for j in 0..<count {
                let row = UnsafeBufferPointer(rebasing: all[(j * actionSize)..<((j + 1) * actionSize)])
                guard actionSpace.accepts(row) else {
                    throw EnvironmentError.invalidAction(environment: environments[j].name, action: Array(row), space: actionSpace.description)
                }
            }
        }
        var observations = [Float](repeating: 0, count: count * size)
        var rewards = [Double](repeating: 0, count: count)
        var terminated = [Bool](repeating: false, count: count), truncated = terminated
        var finals: [FinalObservation] = []
        try actions.withUnsafeBufferPointer { allActions in
            try observations.withUnsafeMutableBufferPointer { all in
                for (j, env) in environments.enumerated() {
                    let slot = UnsafeMutableBufferPointer(rebasing: all[(j * size)..<((j + 1) * size)])
                    let outcome = try env.step(UnsafeBufferPointer(rebasing: allActions[(j * actionSize)..<((j + 1) * actionSize)]), into: slot)
                    rewards[j] = outcome.reward
                    terminated[j] = outcome.terminated
                    truncated[j] = outcome.truncated
                    if outcome.isLast {
                        finals.append(FinalObservation(index: UInt32(j), observation: ObservationBlock(UnsafeBufferPointer(slot), as: observationDType)))
                        env.reset(seed: nil, into: slot)
                    }
                }
            }
        }
        return Results(environmentCount: UInt32(count), observationSize: UInt32(size),
                       observations: ObservationBlock(observations, as: observationDType), rewards: rewards,
                       terminated: terminated, truncated: truncated, finalObservations: finals)
    }
}
