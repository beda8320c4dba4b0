/// One registered environment.
public struct EnvironmentEntry: Sendable {
    /// Registered name, e.g. `CartPole-v1`.
    public let name: String
    /// The time limit `make` adds (Gymnasium's `max_episode_steps`); `nil`
    /// when episodes end by themselves.
    public let maxEpisodeSteps: Int?
    /// One line for `herd envs list`.
    public let summary: String
    let build: @Sendable (inout SettingsReader) throws -> Environment
}

/// Built-in environments by name, as Gymnasium's `make` offers them.
///
/// `make(name, settings:)` builds the environment and, where it has one,
/// wraps it in its ``TimeLimit``. Settings are per environment (see
/// ``entries``); every environment also takes `max_episode_steps` to change
/// the limit. Unknown names and keys are errors that list the known ones.
public enum EnvironmentRegistry {
    public static let entries: [EnvironmentEntry] = [
        EnvironmentEntry(name: "CartPole-v1", maxEpisodeSteps: 500,
                         summary: "balance a pole on a cart (Gymnasium classic control)") { s in
            CartPole(suttonBartoReward: try s.bool("sutton_barto_reward", default: false))
        },
        EnvironmentEntry(name: "CartPoleNoVelocity-v1", maxEpisodeSteps: 500,
                         summary: "CartPole-v1 observing only [x, theta] (partially observable)") { s in
            CartPoleNoVelocity(suttonBartoReward: try s.bool("sutton_barto_reward", default: false))
        },
        EnvironmentEntry(name: "Acrobot-v1", maxEpisodeSteps: 500,
                         summary: "swing a two-link arm above the line (Gymnasium classic control)") { _ in Acrobot() },
        EnvironmentEntry(name: "MountainCar-v0", maxEpisodeSteps: 200,
                         summary: "drive an under-powered car up a hill (Gymnasium classic control)") { s in
            MountainCar(goalVelocity: try s.double("goal_velocity", default: 0))
        },
        EnvironmentEntry(name: "MountainCarContinuous-v0", maxEpisodeSteps: 999,
                         summary: "the mountain car with a continuous engine force") { s in
            MountainCarContinuous(goalVelocity: try s.double("goal_velocity", default: 0))
        },
        EnvironmentEntry(name: "Pendulum-v1", maxEpisodeSteps: 200,
                         summary: "swing up and hold a pendulum (Gymnasium classic control)") { s in
            Pendulum(gravity: try s.double("g", default: 10, range: 0...1000))
        },
        EnvironmentEntry(name: "MemoryChain-v0", maxEpisodeSteps: nil,
                         summary: "remember a cue across blank steps (bsuite memory_len)") { s in
            MemoryChain(length: try s.int("length", default: 10, range: 0...100_000))
        },
        EnvironmentEntry(name: "Catch-v0", maxEpisodeSteps: nil,
                         summary: "catch a falling ball with a paddle, as an image (bsuite catch)") { s in
            Catch(rows: try s.int("rows", default: 10, range: 2...1000), columns: try s.int("columns", default: 5, range: 1...1000))
        },
    ] + minAtarEntries

    /// MinAtar's five games under the `minatar` package's Gymnasium ids:
    /// `-v0` with all six actions, `-v1` with the game's minimal set.
    /// Settings as the package's: `sticky_action_prob` (0.1) and
    /// `difficulty_ramping` (true).
    private static let minAtarEntries: [EnvironmentEntry] = {
        func entries<Game: MinAtarGame>(_ game: Game.Type, _ title: String, _ summary: String) -> [EnvironmentEntry] {
            [false, true].map { minimal in
                let name = "MinAtar/\(title)-v\(minimal ? 1 : 0)"
                let actions = minimal ? "minimal action set" : "all 6 actions"
                return EnvironmentEntry(name: name, maxEpisodeSteps: nil, summary: "\(summary) (MinAtar, \(actions))") { s in
                    MinAtarEnvironment<Game>(name: name, minimalActions: minimal,
                                             stickyActionProbability: try s.double("sticky_action_prob", default: 0.1, range: 0...1),
                                             ramping: try s.bool("difficulty_ramping", default: true))
                }
            }
        }
        return entries(AsterixGame.self, "Asterix", "collect gold, dodge enemies")
            + entries(BreakoutGame.self, "Breakout", "break bricks with a bouncing ball")
            + entries(FreewayGame.self, "Freeway", "cross eight lanes of traffic")
            + entries(SeaquestGame.self, "Seaquest", "shoot, rescue divers, surface for air")
            + entries(SpaceInvadersGame.self, "SpaceInvaders", "shoot down a descending block of aliens")
    }()

    /// Registered names in registration order.
    public static var names: [String] { entries.map(\.name) }

    /// The entry for `name`, or an error listing the known names.
    public static func entry(_ name: String) throws -> EnvironmentEntry {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw EnvironmentError.unknownEnvironment(name: name, known: names)
        }
        return entry
    }

    /// A new environment with its time limit (if any).
    public static func make(_ name: String, settings: [String: SettingValue] = [:]) throws -> Environment {
        let entry = try entry(name)
        var reader = SettingsReader(environment: name, values: settings)
        let limit = try reader.int("max_episode_steps", default: entry.maxEpisodeSteps ?? 0, range: 0...Int(Int32.max))
        let environment = try entry.build(&reader)
        try reader.finish()
        return limit > 0 ? TimeLimit(environment, maxEpisodeSteps: limit) : environment
    }
}
