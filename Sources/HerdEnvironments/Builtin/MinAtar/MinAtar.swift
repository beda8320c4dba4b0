import HerdCore

/// One MinAtar game's rules (Young & Tian 2019, "MinAtar: An Atari-Inspired
/// Testbed for Thorough and Reproducible Reinforcement Learning
/// Experiments"; reference: the `minatar` package 1.0.15). The games are
/// written here from what they do; every random draw goes through the
/// `RandomState` the reference uses, in the order it makes them, so that the
/// same seed and actions give the same game.
protocol MinAtarGame {
    /// Observation channels (the `n` of the 10 × 10 × n state).
    static var channels: Int { get }
    /// The game's minimal action set, as indices into the full six
    /// (`n l u r d f`: no-op, left, up, right, down, fire).
    static var minimalActions: [Int] { get }
    init(ramping: Bool)
    mutating func reset(_ random: inout NumpyRandomState)
    /// One frame with a full-set action; the reward and whether the game ended.
    mutating func act(_ action: MinAtarAction, _ random: inout NumpyRandomState) -> (reward: Double, terminal: Bool)
    /// Sets the cells that are on (the board is cleared before).
    func draw(_ board: MinAtarBoard)
}

/// The six actions every MinAtar game accepts.
enum MinAtarAction: Int {
    case noop = 0, left, up, right, down, fire
}

/// The observation being drawn: channel-major `[channels, 10, 10]` of 0/1.
struct MinAtarBoard {
    let cells: UnsafeMutableBufferPointer<Float>

    /// Turns on `channel` at row `y`, column `x`; cells off the board are
    /// ignored (the reference never draws them).
    @inline(__always)
    func set(_ channel: Int, y: Int, x: Int) {
        guard y >= 0, y < 10, x >= 0, x < 10 else { return }
        cells[channel * 100 + y * 10 + x] = 1
    }
}

/// A MinAtar game as an environment, with the reference's wrapper around it:
/// sticky actions (with probability `stickyActionProbability`, default 0.1,
/// the previous action is repeated; the draw comes before the game's own),
/// difficulty ramping on or off, and the full six actions (`-v0`) or the
/// game's minimal set (`-v1`), as the package's Gymnasium ids.
///
/// Observations are the reference's state as `[channels, 10, 10]` (channel
/// first, the layout Herd's convolutions read; the reference's array is
/// `[10, 10, channels]`), 0 or 1, and travel between processes as bytes. Seeds: the reference seeds numpy's `RandomState`,
/// which takes `0 ..< 2³²`; a Herd seed is reduced to its low 32 bits. Like
/// the reference, reseeding keeps the last action for the sticky rule.
final class MinAtarEnvironment<Game: MinAtarGame>: EnvironmentBase, Environment, ByteObservations {
    private var game: Game
    private var random = NumpyRandomState(seed: 0)
    private let actionSet: [Int]
    private let stickyActionProbability: Double
    private var lastAction = 0
    private var everSeeded = false

    init(name: String, minimalActions: Bool, stickyActionProbability: Double = 0.1, ramping: Bool = true) {
        actionSet = minimalActions ? Game.minimalActions : Array(0..<6)
        self.stickyActionProbability = stickyActionProbability
        game = Game(ramping: ramping)
        super.init(name: name, observationSpace: .box(low: 0, high: 1, shape: [Game.channels, 10, 10]),
                   actionSpace: .discrete(actionSet.count))
    }

    func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        beginReset(seed: seed)
        if let seed {
            random = NumpyRandomState(seed: UInt32(truncatingIfNeeded: seed))
        } else if !everSeeded {
            random = NumpyRandomState(seed: UInt32(truncatingIfNeeded: rng.next()))
        }
        everSeeded = true
        game.reset(&random)
        write(observation)
    }

    func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        try beginStep()
        var chosen = actionSet[try discreteAction(action, count: actionSet.count)]
        if random.rand() < stickyActionProbability { chosen = lastAction }
        lastAction = chosen
        let (reward, terminal) = game.act(MinAtarAction(rawValue: chosen) ?? .noop, &random)
        write(observation)
        return finish(StepOutcome(reward: reward, terminated: terminal, truncated: false))
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        observation.update(repeating: 0)
        game.draw(MinAtarBoard(cells: observation))
    }
}
