import Foundation
import HerdEnvironments
import HerdTraining

/// `herd bench envs --in-process`: single-thread stepping speed of one
/// environment made by the registry (time limit included), with a uniformly
/// random action drawn each step and a reset whenever an episode ends. The
/// timed loop steps through buffers, as a worker does, so nothing allocates.
public struct InProcessEnvironmentBenchmark {
    public var environment: String
    public var settings: [String: SettingValue]
    public var steps: Int
    public var seed: UInt64

    public init(environment: String, settings: [String: SettingValue] = [:], steps: Int, seed: UInt64 = 0) {
        self.environment = environment
        self.settings = settings
        self.steps = steps
        self.seed = seed
    }

    public struct Result: Sendable {
        public var steps: Int
        public var seconds: Double
        public var episodes: Int
        public var stepsPerSecond: Double { Double(steps) / seconds }
    }

    /// Runs a warm-up of a tenth of the steps, then the timed loop.
    public func run() throws -> Result {
        let env = try EnvironmentRegistry.make(environment, settings: settings)
        var rng = RandomGenerator(seed: seed)
        var observation = [Float](repeating: 0, count: env.observationSpace.flatCount)
        var action = [Float](repeating: 0, count: env.actionSpace.flatCount)
        let space = env.actionSpace
        var episodes = 0
        func loop(_ count: Int) throws {
            try observation.withUnsafeMutableBufferPointer { obs in
                try action.withUnsafeMutableBufferPointer { act in
                    env.reset(seed: seed, into: obs)
                    for _ in 0..<count {
                        switch space {
                        case let .discrete(n):
                            act[0] = Float(rng.next() % UInt64(n))
                        case let .box(low, high, _):
                            for i in 0..<act.count { act[i] = low[i] + (high[i] - low[i]) * Float(rng.nextUniform()) }
                        }
                        if try env.step(UnsafeBufferPointer(act), into: obs).isLast {
                            episodes += 1
                            env.reset(seed: nil, into: obs)
                        }
                    }
                }
            }
        }
        try loop(max(steps / 10, 1))
        episodes = 0
        let start = TensorBenchmark.now()
        try InstructionCount.region("env_step:\(environment)", units: steps) { try loop(steps) }
        let seconds = TensorBenchmark.now() - start
        return Result(steps: steps, seconds: seconds, episodes: episodes)
    }
}
