import Foundation
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

extension MinAtarEnvironment: RenderableEnvironment {
    /// The board at 16 pixels a cell as the reference's display colours it:
    /// black where no channel is on, else the colour of the highest channel
    /// on, from `MinAtarPalette`.
    func render() -> RGBImage {
        var cells = [Float](repeating: 0, count: Game.channels * 100)
        cells.withUnsafeMutableBufferPointer { game.draw(MinAtarBoard(cells: $0)) }
        let palette = MinAtarPalette.colors(Game.channels)
        var canvas = Canvas(width: 160, height: 160, background: .black)
        for y in 0..<10 {
            for x in 0..<10 {
                guard let channel = (0..<Game.channels).last(where: { cells[$0 * 100 + y * 10 + x] != 0 }) else { continue }
                canvas.fillRectangle(x: x * 16, y: (9 - y) * 16, width: 16, height: 16, palette[channel])
            }
        }
        return canvas.image
    }
}

/// MinAtar's display colours: `n` colours of the cubehelix scheme (Green
/// 2011, "A colour scheme for the display of astronomical intensity
/// images", with matplotlib's parameters start 0.5, rotations −1.5, hue 1,
/// γ 1) at the inner points of `n + 2` evenly spaced ones, as seaborn's
/// `color_palette("cubehelix", n)`, which the reference's GUI uses.
public enum MinAtarPalette {
    public static func colors(_ n: Int) -> [RGB] {
        (1...n).map { i in
            let x = Double(i) / Double(n + 1), a = x * (1 - x) / 2, phi = 2 * Double.pi * (0.5 / 3 - 1.5 * x)
            func channel(_ p: Double, _ q: Double) -> UInt8 {
                UInt8((min(1, max(0, x + a * (p * cos(phi) + q * sin(phi)))) * 255).rounded())
            }
            return RGB(channel(-0.14861, 1.78277), channel(-0.29227, -0.90649), channel(1.97294, 0))
        }
    }
}
