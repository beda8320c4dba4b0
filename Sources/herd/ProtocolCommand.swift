import ArgumentParser
import Foundation
import HerdRuntime

struct ProtocolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "protocol",
        abstract: "Tools for authors of environment workers (envs/PROTOCOL.md).",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Play the learner against a worker, through every message and edge case, and say what it got wrong.",
            discussion: """
            Each check is a conversation with a fresh worker. With --worker, the command is \
            run once per check (through sh -c), {endpoint} replaced by where to connect, e.g.
              herd protocol check --worker 'python3 my_worker.py --connect {endpoint}'
            Without it, the check binds --bind and waits for one connection per check \
            (run your worker in a loop). Exit status 0 when no check failed.
            """)

        @Option(help: "The worker's command line, with {endpoint} for the learner's endpoint.")
        var worker: String?

        @Option(help: "Where to bind (default: a fresh ipc:// path; tcp://127.0.0.1:PORT for a worker started by hand).")
        var bind: String?

        @Option(help: "The environment to assign.")
        var environment = "CartPole-v1"

        @Option(help: "Its settings, a JSON object.")
        var settings = "{}"

        @Option(help: "Environments per worker.")
        var envs = 2

        @Option(help: "Steps in the main conversation.")
        var steps = 300

        @Option(help: "Seconds to wait for one answer.")
        var timeout = 10.0

        @Flag(help: "Also check that the worker exits when the learner falls silent (waits out its learner timeout).")
        var slow = false

        func validate() throws {
            guard worker != nil || bind != nil else { throw ValidationError("give --worker COMMAND, or --bind ENDPOINT for a worker started by hand") }
            guard envs > 0, steps >= 0, timeout > 0 else { throw ValidationError("--envs and --timeout must be positive, --steps not negative") }
        }

        func run() throws {
            var options = ProtocolCheck.Options()
            options.workerCommand = worker
            options.endpoint = bind
            options.environment = environment
            options.settingsJSON = settings
            options.environments = envs
            options.steps = steps
            options.timeout = timeout
            options.slow = slow
            let check: ProtocolCheck
            do { check = try ProtocolCheck(options) } catch { throw CommandError("cannot bind \(bind ?? "an ipc:// endpoint"): \(error)") }
            if worker == nil { print("waiting for workers on \(check.endpoint): one connection per check") }
            check.report = { finding in
                print("\(finding.verdict.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0))  \(finding.scenario): \(finding.detail)")
            }
            let passed = check.run()
            let failed = check.findings.filter { $0.verdict == .fail }.count
            let warned = check.findings.filter { $0.verdict == .warn }.count
            print(passed ? "the worker follows the protocol (\(warned) warnings)" : "\(failed) checks failed, \(warned) warnings")
            if !passed { throw ExitCode(1) }
        }
    }
}
