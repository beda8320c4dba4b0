import HerdEnvironments

/// A fake environment that plays back a script: the observation after the
/// `t`-th step is `[Float(t + 1)]` times `scale` (the reset observation is
/// `[0]`), rewards come from `rewards` in turn, and the episode terminates
/// after `episodeLength` steps. It records every action it receives.
public final class ScriptedEnvironment: Environment {
    public let name = "Scripted-v0"
    public let observationSpace: Space
    public let actionSpace: Space
    public var rewards: [Double]
    public let episodeLength: Int
    public let scale: Float
    public private(set) var actions: [[Float]] = []
    private var t = 0

    public init(rewards: [Double] = [1], episodeLength: Int = 1000, scale: Float = 1,
                actionSpace: Space = .box(low: -3, high: 3, shape: [1])) {
        self.rewards = rewards
        self.episodeLength = episodeLength
        self.scale = scale
        self.actionSpace = actionSpace
        observationSpace = .box(low: -.infinity, high: .infinity, shape: [1])
    }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        t = 0
        observation[0] = 0
    }

    public func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        actions.append(Array(action))
        let reward = rewards[t % rewards.count]
        t += 1
        observation[0] = Float(t) * scale
        return StepOutcome(reward: reward, terminated: t >= episodeLength, truncated: false)
    }
}
