import Foundation
import HerdAgents
import HerdCore
import HerdEnvironments
import HerdRuntime
import HerdTensor
import HerdTransport

/// The worker processes a config asks for (local, and places for remote
/// ones when the fleet listens), and how the policy's actions map
/// to the environments' (a probe environment gives Box bounds; built-ins only).
func makeTrainingPool(_ config: TrainConfig, herdExecutable: String) throws -> (ProcessPool, ActionMapping) {
    let probe = try? EnvironmentRegistry.make(config.environment.name, settings: config.environment.settings)
    var poolConfiguration = PoolConfiguration(config.environment, workers: config.fleet.localWorkers ?? config.environment.resolvedWorkers,
                                              environmentsPerWorker: config.environment.envsPerWorker, seed: UInt64(config.seed),
                                              herdExecutable: herdExecutable)
    if let listen = config.fleet.listen {
        poolConfiguration.listen = listen
        poolConfiguration.remoteWorkers = config.fleet.remoteWorkers
        poolConfiguration.remoteTimeout = config.fleet.remoteTimeout
        poolConfiguration.cancelWaiting = { StopSignal.requested }
    }
    poolConfiguration.limits.maxMessageBytes = config.fleet.maxFrameBytes
    poolConfiguration.limits.maxEnvironments = UInt32(config.fleet.maxEnvsPerWorker)
    poolConfiguration.maxPendingMessages = config.fleet.maxPendingMessages
    poolConfiguration.curve = try curveSettings(config.fleet)
    if config.fleet.listensBeyondLoopback, poolConfiguration.curve == nil, let listen = config.fleet.listen {
        warn("herd train: warning: listening on \(listen) beyond this machine without CURVE: anyone who can reach the port can join as a "
             + "worker, be sent the run's environment settings and feed unauthenticated, unencrypted data into training. "
             + "Use --curve-secret-key and --authorized-keys (herd keys generate), or listen on 127.0.0.1.")
    }
    let pool = try ProcessPool(poolConfiguration)
    if !config.network.convChannels.isEmpty,
       let problem = ConvTorso.problem(observationShape: pool.observationShape, settings: config.network) {
        pool.close()
        throw ConfigError.invalidValue(file: config.name, key: "network.conv_channels", value: "\(config.network.convChannels)",
                                       requirement: "fit the observations: \(problem)")
    }
    let head: ActionHead = pool.discreteActions.map { .categorical(classes: $0) } ?? .gaussian(dimension: pool.actionSize)
    return (pool, ActionMapping(space: probe?.actionSpace, head: head))
}

extension PoolConfiguration {
    /// Local workers for the config's environment section: its name,
    /// settings, wrappers and observation encoding.
    init(_ environment: EnvironmentConfig, workers: Int, environmentsPerWorker: Int, seed: UInt64, herdExecutable: String) {
        self.init(environment: environment.name, workers: workers, environmentsPerWorker: environmentsPerWorker, herdExecutable: herdExecutable)
        settings = environment.settings
        observationEncoding = environment.observationEncoding.wire
        wrappers = environment.wrappers.wrappers.map { ($0.name, $0.settings) }
        pythonExecutable = environment.python
        self.seed = seed
    }
}

/// The learner's CURVE server settings from the fleet section's key files, if set.
func curveSettings(_ fleet: FleetConfig) throws -> CurveServerSettings? {
    guard let secret = fleet.curveSecretKey, let directory = fleet.authorizedKeys else { return nil }
    guard CurveKeyPair.isSupported else { throw CurveKeyError.unsupported("fleet.curve_secret_key: this libzmq was built without CURVE") }
    let keys = try CurveKeyPair.readSecret(URL(fileURLWithPath: secret), warn: { warn("herd train: warning: \($0)") })
    return CurveServerSettings(keys: keys, authorizedKeys: try CurveKeyPair.readAuthorizedKeys(URL(fileURLWithPath: directory)))
}

func warn(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
