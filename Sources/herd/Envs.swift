import ArgumentParser
import Foundation
import HerdEnvironments
import HerdTraining

struct Envs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the built-in environments and trace their steps.",
        subcommands: [EnvsList.self, EnvsTrace.self]
    )
}

struct EnvsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Name, observation space, action space and time limit of each built-in environment.")

    @Flag(help: "Print a JSON array instead of a table.")
    var json = false

    func run() throws {
        var rows: [[String: Any]] = []
        for entry in EnvironmentRegistry.entries {
            let env = try EnvironmentRegistry.make(entry.name)
            rows.append(["name": entry.name, "observation_space": env.observationSpace.description,
                         "action_space": env.actionSpace.description,
                         "max_episode_steps": entry.maxEpisodeSteps.map { $0 as Any } ?? NSNull(), "summary": entry.summary])
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let header = ["NAME", "OBSERVATION SPACE", "ACTION SPACE", "TIME LIMIT"]
        let table = rows.map { row in
            [row["name"] as! String, row["observation_space"] as! String, row["action_space"] as! String,
             (row["max_episode_steps"] as? Int).map(String.init) ?? "-"]
        }
        let widths = (0..<4).map { column in ([header] + table).map { $0[column].count }.max() ?? 0 }
        for line in [header] + table {
            print(zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
        }
    }
}

struct EnvsTrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Apply a list of actions from a reset (or a given physical state) and print every step.",
        discussion: """
        Stops at the first step that terminates or truncates. Discrete actions are indices: \
        --actions 1,0,1. Box actions take one value per step (--actions 0.5,-1.2) or, for \
        vectors, steps separated by ';' and components by ',' (--actions "0.1,0.2;0.3,0.4"). \
        --state sets the physical state in the order of Gymnasium's env.unwrapped.state: \
        CartPole [x, x_dot, theta, theta_dot], Acrobot [theta1, theta2, dtheta1, dtheta2], \
        MountainCar [position, velocity], Pendulum [theta, theta_dot].
        """)

    @Argument(help: "Environment name (see `herd envs list`).")
    var name: String

    // Both take the next argument whatever it starts with: a value may be
    // negative (`--state -0.05,0,0.02,0`, `--actions -2,1.5`).
    @Option(parsing: .unconditional, help: "The actions to apply, in order.")
    var actions: String

    @Option(parsing: .unconditional, help: "Comma-separated physical state to start from instead of the reset state.")
    var state: String?

    @Option(help: "Seed for the reset.")
    var seed: UInt64 = 0

    @Option(name: .customLong("set"), help: "An environment setting, KEY=VALUE (repeatable), e.g. --set length=5.")
    var settings: [String] = []

    @Flag(help: "One JSON object per step: {\"obs\": [...], \"reward\": r, \"terminated\": b, \"truncated\": b}.")
    var json = false

    func run() throws {
        let env = try EnvironmentRegistry.make(name, settings: try parseSettings(settings))
        let steps = try parseActions(actions)
        let start = env.reset(seed: seed)
        if let state {
            guard let physical = env.unwrapped as? PhysicalStateAccess else {
                throw CommandError("\(name) has no settable physical state; omit --state")
            }
            try physical.setPhysicalState(try parseNumbers(state, what: "--state"))
        } else if !json {
            print("reset obs \(start)")
        }
        for (index, action) in steps.enumerated() {
            let step = try env.step(action)
            if json {
                let observation = "[" + step.observation.map { "\($0)" }.joined(separator: ", ") + "]"
                print("{\"obs\": \(observation), \"reward\": \(step.reward), \"terminated\": \(step.terminated), \"truncated\": \(step.truncated)}")
            } else {
                print("step \(index + 1) action \(action) obs \(step.observation) reward \(step.reward)"
                      + " terminated \(step.terminated) truncated \(step.truncated)")
            }
            if step.terminated || step.truncated { break }
        }
    }

    /// One action vector per step (see the command's discussion).
    func parseActions(_ text: String) throws -> [[Float]] {
        let steps: [String] = text.contains(";") ? text.split(separator: ";").map(String.init)
            : text.split(separator: ",").map(String.init)
        return try steps.map { try parseNumbers($0, what: "--actions") }
    }
}

/// Comma-separated numbers, or a validation error naming the option. Physical
/// states are read as `Double` (the state is Double), actions as `Float`.
func parseNumbers<Number: LosslessStringConvertible>(_ text: String, what: String) throws -> [Number] {
    try text.split(separator: ",").map { part in
        guard let value = Number(part.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("\(what): '\(part)' is not a number")
        }
        return value
    }
}

/// `KEY=VALUE` strings as environment settings.
func parseSettings(_ pairs: [String]) throws -> [String: SettingValue] {
    var settings: [String: SettingValue] = [:]
    for pair in pairs {
        guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
            throw ValidationError("--set expects KEY=VALUE, got '\(pair)'")
        }
        settings[String(pair[..<equals])] = SettingValue(parsing: String(pair[pair.index(after: equals)...]))
    }
    return settings
}

/// `--wrapper` values, `NAME` or `NAME:KEY=VALUE,KEY=VALUE`, as Gymnasium
/// wrappers with settings.
func parseWrappers(_ texts: [String]) throws -> [(name: String, settings: [String: SettingValue])] {
    try texts.map { text in
        guard let colon = text.firstIndex(of: ":") else { return (text, [:]) }
        let pairs = text[text.index(after: colon)...].split(separator: ",").map(String.init)
        return (String(text[..<colon]), try parseSettings(pairs))
    }
}
