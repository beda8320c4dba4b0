import Foundation
import HerdEnvironments
import HerdRuntime

/// The environments an evaluation steps: built-in ones in this process, or
/// any environment (`gymnasium:` ones, pixel ones) in worker processes.
/// Environment `i` is seeded from `(seed, i)` at its first reset in both.
/// An episode's end resets its environment (continuing its stream).
protocol EvaluationEnvironments: AnyObject {
    var count: Int { get }
    var spaces: EnvironmentSpaces { get }
    /// Every environment's first observation, `[count, observationSize]`.
    func reset() throws -> [[Float]]
    /// Steps the environments `active` with `actions` (`[active.count, actionSize]`,
    /// the environments' format); per row, its observation (the next
    /// episode's first after an end), reward, whether the episode ended,
    /// and whether its end is to be discarded (the worker was replaced).
    func step(_ actions: [Float], active: [Int]) throws -> [EvaluationStep]
    /// A picture of environment `index` now, if it draws.
    func render(_ index: Int) throws -> RGBImage?
    func close()
}

struct EvaluationStep {
    var observation: [Float]
    var reward: Double
    var ended: Bool
    var lost = false
}

/// Built-in environments in this process.
final class InProcessEnvironments: EvaluationEnvironments {
    let environments: [Environment]
    let spaces: EnvironmentSpaces
    private let seed: UInt64

    init(name: String, settings: [String: SettingValue], count: Int, seed: UInt64) throws {
        environments = try (0..<count).map { _ in try EnvironmentRegistry.make(name, settings: settings) }
        spaces = EnvironmentSpaces(environments[0])
        self.seed = seed
    }

    var count: Int { environments.count }

    func reset() throws -> [[Float]] {
        environments.indices.map { environments[$0].reset(seed: environmentSeed(runSeed: seed, index: $0)) }
    }

    func step(_ actions: [Float], active: [Int]) throws -> [EvaluationStep] {
        let width = spaces.action.flatCount
        return try active.enumerated().map { row, i in
            let step = try environments[i].step(Array(actions[(row * width)..<((row + 1) * width)]))
            let ended = step.terminated || step.truncated
            return EvaluationStep(observation: ended ? environments[i].reset() : step.observation, reward: step.reward, ended: ended)
        }
    }

    func render(_ index: Int) throws -> RGBImage? { environments[index].renderedImage() }

    func close() {}
}

/// Environments in worker processes, stepped in lockstep. Environments with
/// nothing left to run are stepped too (a lockstep pool steps them all)
/// with the first active row's action, and their results are ignored.
final class WorkerEnvironments: EvaluationEnvironments {
    let pool: ProcessPool
    let spaces: EnvironmentSpaces

    /// Exactly `count` environments over the most processes, up to `workers`,
    /// that share them evenly (a pool's workers host as many each); with
    /// `render`, the workers send pictures (`frame`).
    init(_ environment: EnvironmentConfig, count: Int, workers: Int, seed: UInt64, herdExecutable: String, render: Bool) throws {
        let workers = (1...max(1, min(workers, count))).last { count % $0 == 0 } ?? 1
        var configuration = PoolConfiguration(environment, workers: workers, environmentsPerWorker: (count + workers - 1) / workers,
                                              seed: seed, herdExecutable: herdExecutable)
        configuration.renderFrames = render
        pool = try ProcessPool(configuration)
        spaces = EnvironmentSpaces(observationShape: pool.observationShape, actionSize: pool.actionSize,
                                   discreteActions: pool.discreteActions)
    }

    var count: Int { pool.environmentCount }

    func reset() throws -> [[Float]] { rows(try pool.reset()) }

    func step(_ actions: [Float], active: [Int]) throws -> [EvaluationStep] {
        let width = pool.actionSize
        var all = [Float](repeating: 0, count: count * width)
        for i in 0..<count { all.replaceSubrange((i * width)..<((i + 1) * width), with: actions[0..<width]) }
        for (row, i) in active.enumerated() {
            all.replaceSubrange((i * width)..<((i + 1) * width), with: actions[(row * width)..<((row + 1) * width)])
        }
        let batch = try pool.step(all)
        let observations = rows(batch)
        return active.map { i in
            EvaluationStep(observation: observations[i], reward: batch.rewards[i], ended: batch.terminated[i] || batch.truncated[i],
                           lost: batch.restartedEnvironments.contains(i))
        }
    }

    /// Rows by environment id (a lockstep batch holds them all, in id order).
    private func rows(_ batch: Batch) -> [[Float]] {
        let n = pool.observationSize
        return (0..<batch.count).map { batch.observations[($0 * n)..<(($0 + 1) * n)] }
    }

    func render(_ index: Int) throws -> RGBImage? { pool.latestFrame(environment: index) }

    func close() { pool.close() }
}
