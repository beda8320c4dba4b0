import ArgumentParser
import Foundation
import HerdRuntime
import HerdTraining

struct Actor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actor",
        abstract: "Lend this machine's environments to a learner (an actor fleet daemon).",
        discussion: """
        Spawns --workers environment workers that connect to a learner started with \
        `herd train CONFIG --listen tcp://ADDRESS:PORT` and offer --capacity environments in all; \
        the learner assigns what they run. Workers that exit are restarted with a backoff \
        (0.5 s doubling to 30 s), so the daemon may start before its learner and outlives \
        learner restarts. One log line per event on standard error; SIGINT/SIGTERM stop it \
        and its workers.
        """)

    @Option(help: "The learner's endpoint, tcp://HOST:PORT.")
    var learner: String

    @Option(help: "Environments offered in all (split evenly over the workers; default 16 per worker).")
    var capacity: Int?

    // Optional, so that --help shows only the sentence (not "(default: 2)" after it).
    @Option(name: .customLong("workers"), help: "Worker processes (default: the number of cores).")
    var workersOption: Int?
    var workers: Int { workersOption ?? ProcessInfo.processInfo.activeProcessorCount }

    @Option(help: "Seconds of learner silence after which a worker restarts.")
    var learnerTimeout = 10.0

    @Option(help: "CURVE: this daemon's secret key file (herd keys generate --out DIR writes DIR/secret.key); needs --server-key.")
    var curveKey: String?

    @Option(help: "CURVE: the learner's public key file (its DIR/public.key).")
    var serverKey: String?

    func validate() throws {
        guard (curveKey == nil) == (serverKey == nil) else { throw ValidationError("--curve-key and --server-key go together") }
    }

    func run() throws {
        var options = ActorDaemon.Options(learner: learner, workers: workers, capacity: capacity ?? 16 * workers,
                                          herdExecutable: PoolConfiguration.defaultHerdExecutable())
        options.workerLearnerTimeout = learnerTimeout
        if let curveKey, let serverKey {
            options.curveKeyFile = URL(fileURLWithPath: curveKey).standardizedFileURL.path
            options.serverKeyFile = URL(fileURLWithPath: serverKey).standardizedFileURL.path
        }
        let daemon: ActorDaemon
        do {
            daemon = try ActorDaemon(options: options)
        } catch {
            throw CommandError("\(error)")
        }
        StopSignal.install()
        try daemon.run(until: { StopSignal.requested })
    }
}
