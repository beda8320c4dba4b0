import ArgumentParser
import Foundation
import HerdRuntime
import HerdTransport

struct EnvWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env-worker",
        abstract: "Serve environments to a learner over ZeroMQ (started by the process pool or an actor daemon).",
        discussion: "Speaks protocol v2 (envs/PROTOCOL.md): connects a DEALER to ENDPOINT, says hello, builds what it is assigned.")

    @Option(help: "The learner's endpoint, e.g. ipc:///tmp/herd.sock or tcp://127.0.0.1:5555.")
    var connect: String

    @Option(help: "Identity the learner routes by (the pool passes one).")
    var identity: String?

    @Option(help: "Most environments this worker hosts.")
    var capacity: UInt32 = 65_536

    @Option(help: "Seconds of learner silence after which the worker exits.")
    var learnerTimeout: Double = 30

    @Option(help: "Seconds between heartbeats while idle.")
    var heartbeat: Double = 1

    @Flag(help: "Exit when the parent process goes away (set by the local pool).")
    var exitWithParent = false

    @Option(help: "Microseconds to poll for the next request without sleeping before blocking.")
    var spin: Double = 0

    @Option(help: "Comma-separated CPUs to run on (with the ZeroMQ I/O thread).")
    var cpus: String?

    @Option(help: "CURVE: this worker's secret key file (herd keys generate); needs --server-key.")
    var curveKey: String?

    @Option(help: "CURVE: the learner's public key file.")
    var serverKey: String?

    func validate() throws {
        guard learnerTimeout > 0, heartbeat > 0 else { throw ValidationError("--learner-timeout and --heartbeat must be positive") }
        guard (curveKey == nil) == (serverKey == nil) else { throw ValidationError("--curve-key and --server-key go together") }
    }

    func run() throws {
        // Ctrl-C in a terminal reaches the whole process group; the learner
        // decides when workers stop (goodbye or silence), so ignore it here.
        signal(SIGINT, SIG_IGN)
        let host = ProcessInfo.processInfo.hostName
        var options = EnvironmentWorker.Options(endpoint: connect, identity: identity, label: "\(host):\(getpid())")
        options.capacity = capacity
        options.learnerTimeout = learnerTimeout
        options.heartbeatInterval = heartbeat
        options.exitWithParent = exitWithParent
        options.spinMicroseconds = spin
        options.cpus = try cpus.map { text in
            try text.split(separator: ",").map { part -> Int in
                guard let cpu = Int(part), cpu >= 0 else { throw ValidationError("--cpus: '\(part)' is not a CPU number") }
                return cpu
            }
        } ?? []
        do {
            if let curveKey, let serverKey {
                let keys = try CurveKeyPair.readSecret(URL(fileURLWithPath: curveKey))
                options.curve = (keys, try CurveKeyPair.readKey(URL(fileURLWithPath: serverKey)))
            } else {
                options.curve = try EnvironmentWorker.curveFromEnvironment()
            }
        } catch {
            throw CommandError("\(error)")
        }
        let worker = EnvironmentWorker(options: options)
        let exit: EnvironmentWorker.Exit
        do {
            exit = try worker.run()
        } catch {
            throw CommandError("\(error)")
        }
        switch exit {
        case .goodbye: break
        case .learnerSilent: worker.log("the learner was silent for \(learnerTimeout) s; exiting")
        case .parentGone: worker.log("the parent process is gone; exiting")
        case .refused:
            // EX_TEMPFAIL: herd actor starts a refused worker again soon, without growing its backoff at first.
            throw ExitCode(EnvironmentWorker.refusedExitStatus)
        case .keyRefused:
            // EX_TEMPFAIL too: a barred key may come back after its bar.
            worker.log("the learner failed this worker's CURVE handshake: its key is not among the learner's authorised keys, "
                       + "or admission control bars the key for a while (places it left early, or too many too fast); the learner's log says which")
            throw ExitCode(EnvironmentWorker.refusedExitStatus)
        case let .learnerVersion(version):
            throw CommandError("the learner speaks Herd protocol version \(version) and this worker version \(WireCodec.version): "
                               + "run the learner and its workers from the same Herd")
        }
    }
}
