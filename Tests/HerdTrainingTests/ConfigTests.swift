import Foundation
import HerdAgents
import HerdTestSupport
import HerdTraining
import XCTest

final class ConfigTests: XCTestCase {
    let configs = repositoryRoot.appendingPathComponent("configs")

    func testShippedConfigs_loadAndCommentEveryField() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: configs.path).filter { $0.hasSuffix(".yaml") }
            .map { String($0.dropLast(".yaml".count)) }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 11, "configs/ lost its configs: \(names)")
        var agents: Set<String> = []
        for name in names {
            let url = configs.appendingPathComponent("\(name).yaml")
            let config = try TrainConfig.load(url)
            XCTAssertEqual(config.name, name)
            XCTAssertTrue(name.hasSuffix("_\(config.agent)"), "\(name): configs are named <environment>_<agent>")
            agents.insert(config.agent)
            // Every key line carries a comment.
            let text = try String(contentsOf: url, encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains(":") && !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                XCTAssertTrue(line.contains("#"), "\(name): uncommented field: \(line)")
            }
        }
        XCTAssertEqual(agents, Set(AgentRegistry.names), "every registered agent ships a config")
        let cartpole = try TrainConfig.load(configs.appendingPathComponent("cartpole_ppo.yaml"))
        XCTAssertEqual(cartpole.environment.name, "CartPole-v1")
        XCTAssertEqual(cartpole.ppo.epochs, 4)
        XCTAssertEqual(cartpole.ppo.minibatches, 4)
        XCTAssertEqual(cartpole.evaluation.targetReturn, 475)
    }

    func testVTraceSection_readsClipsOptimiserAndNamesBadKeys() throws {
        let url = configs.appendingPathComponent("cartpole_vtrace.yaml")
        let config = try TrainConfig.load(url, overrides: ["vtrace.clip_rho=null", "vtrace.optimizer=rmsprop", "vtrace.reward_clipping=abs_one"])
        XCTAssertEqual(config.agent, "vtrace")
        XCTAssertNil(config.vtrace.learner.vtrace.clipRho)
        XCTAssertEqual(config.vtrace.learner.vtrace.clipC, 1)
        XCTAssertEqual(config.vtrace.learner.optimizer, .rmsprop)
        XCTAssertEqual(config.vtrace.learner.rewardClipping, .absOne)
        XCTAssertThrowsError(try TrainConfig.load(url, overrides: ["vtrace.optimizer=sgd"])) { error in
            XCTAssertTrue("\(error)".contains("vtrace.optimizer"), "\(error)")
        }
        XCTAssertThrowsError(try TrainConfig.load(url, overrides: ["vtrace.clip_c=-1"])) { error in
            XCTAssertTrue("\(error)".contains("vtrace.clip_c"), "\(error)")
        }
    }

    func testFleetSection_needsVTraceForRemoteWorkers_andAListenerWithoutLocalOnes() throws {
        let vtrace = configs.appendingPathComponent("cartpole_vtrace.yaml")
        let config = try TrainConfig.load(vtrace, overrides: ["fleet.listen=tcp://127.0.0.1:5555", "fleet.local_workers=0"])
        XCTAssertEqual(config.fleet.listen, "tcp://127.0.0.1:5555")
        XCTAssertEqual(config.fleet.localWorkers, 0)
        for (file, overrides, key) in [
            ("cartpole_ppo.yaml", ["fleet.listen=tcp://127.0.0.1:5555"], "fleet.listen"),
            ("cartpole_vtrace.yaml", ["fleet.local_workers=0"], "fleet.local_workers"),
            ("cartpole_vtrace.yaml", ["fleet.listen=ipc:///tmp/x"], "fleet.listen"),
        ] {
            XCTAssertThrowsError(try TrainConfig.load(configs.appendingPathComponent(file), overrides: overrides)) { error in
                XCTAssertTrue("\(error)".contains(key), "\(error)")
            }
        }
    }

    func testR2D2Section_readsTheReplayAndChecksNSteps() throws {
        let url = configs.appendingPathComponent("memorychain_r2d2.yaml")
        let config = try TrainConfig.load(url, overrides: ["r2d2.feed_forward=true", "r2d2.replay_ratio=2"])
        XCTAssertEqual(config.agent, "r2d2")
        XCTAssertTrue(config.r2d2.feedForward)
        XCTAssertEqual(config.r2d2.replayRatio, 2)
        XCTAssertEqual(config.r2d2.learner.sequenceLength, 16)
        XCTAssertThrowsError(try TrainConfig.load(url, overrides: ["r2d2.n_steps=16"])) { error in
            XCTAssertTrue("\(error)".contains("r2d2.n_steps"), "\(error)")
        }
        XCTAssertThrowsError(try TrainConfig.load(url, overrides: ["r2d2.sequence_length=7"])) { error in
            XCTAssertTrue("\(error)".contains("r2d2.sequence_length"), "\(error)")
        }
    }

    func testOverrides_replaceFieldsAndParseTypes() throws {
        let config = try TrainConfig.load(configs.appendingPathComponent("cartpole_ppo.yaml"),
                                          overrides: ["ppo.learning_rate=3e-4", "ppo.objective=kl_penalty",
                                                      "network.hidden_sizes=[32, 16]", "environment.settings={max_episode_steps: 200}",
                                                      "evaluation.target_return=null"])
        XCTAssertEqual(config.ppo.learningRate, 3e-4)
        XCTAssertEqual(config.ppo.objective, .klPenalty)
        XCTAssertEqual(config.network.hiddenSizes, [32, 16])
        XCTAssertEqual(config.environment.settings["max_episode_steps"], .int(200))
        XCTAssertNil(config.evaluation.targetReturn)
    }

    func testResolvedYAML_roundTrips() throws {
        var config = try TrainConfig.load(configs.appendingPathComponent("pendulum_ppo.yaml"), overrides: ["environment.settings={g: 9.5}"])
        config.ppo.clipRange = 0.15
        let text = ConfigCoder.yaml(config)
        let again = try ConfigCoder.read(yaml: text, file: "resolved", defaults: TrainConfig())
        XCTAssertEqual(again, config)
    }

    /// Atari's config: wrappers in order with their settings, the u8 wire and
    /// the Nature torso's valid padding survive a round trip; wrappers on a
    /// built-in environment are refused, naming the key.
    func testWrappersAndObservationEncoding_readAndRoundTrip() throws {
        let config = try TrainConfig.load(configs.appendingPathComponent("pong_vtrace.yaml"), overrides: ["environment.observation_encoding=bf16"])
        XCTAssertEqual(config.environment.wrappers.wrappers.map(\.name), ["AtariPreprocessing", "EpisodicLife", "FrameStackObservation"])
        XCTAssertEqual(config.environment.wrappers.wrappers[0].settings["frame_skip"], .int(4))
        XCTAssertEqual(config.environment.wrappers.wrappers[1].settings, [:])
        XCTAssertEqual(config.environment.wrappers.wrappers[2].settings, ["stack_size": .int(4)])
        XCTAssertEqual(config.environment.observationEncoding, .bf16)
        XCTAssertEqual(config.network.convPadding, .valid)
        let again = try ConfigCoder.read(yaml: ConfigCoder.yaml(config), file: "resolved", defaults: TrainConfig())
        XCTAssertEqual(again, config)
        XCTAssertThrowsError(try TrainConfig.load(configs.appendingPathComponent("cartpole_ppo.yaml"),
                                                  overrides: ["environment.wrappers=[FlattenObservation]"])) { error in
            XCTAssertTrue("\(error)".contains("'environment.wrappers'") && "\(error)".contains("built-in"), "\(error)")
        }
    }

    func expectError(_ yaml: String, overrides: [String] = [], _ expected: ConfigError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ConfigCoder.read(yaml: yaml, file: "bad.yaml", overrides: overrides, defaults: TrainConfig()),
                             file: file, line: line) { error in
            XCTAssertEqual(error as? ConfigError, expected, file: file, line: line)
        }
    }

    func testBadConfigs_nameTheKeyAndFile() {
        expectError("ppo:\n  learnin_rate: 0.1\n", .unknownKey(file: "bad.yaml", key: "ppo.learnin_rate", known: PPOSettingsKeys.all))
        expectError("ppo:\n  epochs: many\n", .wrongType(file: "bad.yaml", key: "ppo.epochs", expected: "an integer", found: "\"many\""))
        expectError("ppo:\n  gamma: 1.5\n", .invalidValue(file: "bad.yaml", key: "ppo.gamma", value: "1.5", requirement: "be in [0, 1]"))
        expectError("ppo: 3\n", .wrongType(file: "bad.yaml", key: "ppo", expected: "a mapping", found: "3"))
        expectError("ppo:\n  objective: trpo\n", .wrongType(file: "bad.yaml", key: "ppo.objective",
                                                            expected: "one of clip, kl_penalty", found: "\"trpo\""))
        // A key a --set gave is that argument's error.
        expectError("", overrides: ["ppo.epochs=0"], .invalidValue(file: "--set ppo.epochs=0 (over bad.yaml)", key: "ppo.epochs", value: "0", requirement: "be positive"))
        expectError("", overrides: ["total_step=5"], .unknownKey(file: "--set total_step=5 (over bad.yaml)", key: "total_step", known: TopLevelKeys.all))
        expectError("", overrides: ["ppo.minibatches=100000"], .invalidValue(
            file: "--set ppo.minibatches=100000 (over bad.yaml)", key: "ppo.minibatches", value: "100000",
            requirement: "be at most the rollout size steps_per_env × environments = \(32 * EnvironmentConfig().environmentCount)"))
        expectError("", overrides: ["seed"], .badOverride(text: "seed", reason: "expected KEY=VALUE, e.g. ppo.learning_rate=3e-4"))
        XCTAssertThrowsError(try ConfigCoder.read(yaml: "a: [", file: "bad.yaml", defaults: TrainConfig())) { error in
            XCTAssertTrue("\(error)".hasPrefix("bad.yaml: not valid YAML"), "\(error)")
        }
    }

    /// Yams traps on a mapping key that is a list or mapping; the loader
    /// rejects it first (found by the config fuzzer, scripts/fuzz.sh).
    func testNonScalarMappingKeys_areAClearError_notACrash() {
        for text in ["? [a, b]\n: 1\n", "environment:\n  ? {name: CartPole-v1}\n  : 2\n", "base: &b\n  ? [1]\n  : 2\nother:\n  <<: *b\n",
                     "{[1]: 2}\n", "seq:\n  - {? {a: 1} : 2}\n"] {
            XCTAssertThrowsError(try ConfigCoder.read(yaml: text, file: "bad.yaml", defaults: TrainConfig()), text) { error in
                XCTAssertTrue("\(error)".contains("a mapping key must be a plain value"), "\(error)")
            }
        }
    }

    func testFleetSection_curveNeedsBothKeys_limitsAreChecked_portMeansLoopback() throws {
        let vtrace = configs.appendingPathComponent("cartpole_vtrace.yaml")
        let config = try TrainConfig.load(vtrace, overrides: ["fleet.listen='5555'", "fleet.max_frame_bytes=65536"])
        XCTAssertEqual(config.fleet.listen, "tcp://127.0.0.1:5555")
        XCTAssertFalse(config.fleet.listensBeyondLoopback)
        XCTAssertEqual(config.fleet.maxFrameBytes, 65536)
        for listen in ["tcp://0.0.0.0:5555", "tcp://*:5555", "tcp://10.0.0.2:5555", "tcp://", "tcp://eth0"] {
            XCTAssertTrue(try TrainConfig.load(vtrace, overrides: ["fleet.listen=\(listen)"]).fleet.listensBeyondLoopback, listen)
        }
        for listen in ["tcp://127.0.0.1:5555", "tcp://[::1]:5555", "tcp://localhost:5555"] {
            XCTAssertFalse(try TrainConfig.load(vtrace, overrides: ["fleet.listen=\(listen)"]).fleet.listensBeyondLoopback, listen)
        }
        for (overrides, key) in [
            (["fleet.curve_secret_key=/k/secret.key"], "fleet.curve_secret_key"),
            (["fleet.authorized_keys=/k"], "fleet.authorized_keys"),
            (["fleet.max_frame_bytes=10"], "fleet.max_frame_bytes"),
            (["fleet.max_envs_per_worker=2"], "fleet.max_envs_per_worker"),
            (["fleet.max_pending_messages=0"], "fleet.max_pending_messages"),
            (["max_consecutive_nonfinite=0"], "max_consecutive_nonfinite"),
        ] {
            XCTAssertThrowsError(try TrainConfig.load(vtrace, overrides: overrides)) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
        }
    }

    /// The `agent:` names a registered agent, and that agent's section is the
    /// one used. Another agent's section is checked and ignored (configs
    /// written before held every section); a key no agent has is an error.
    func testAgent_isARegisteredName_andOnlyItsSectionIsAccepted() throws {
        expectError("agent: dqn\n", .invalidValue(file: "bad.yaml", key: "agent", value: "\"dqn\"",
                                                 requirement: "be one of \(AgentRegistry.names.joined(separator: ", "))"))
        let mixed = try ConfigCoder.read(yaml: "agent: vtrace\nppo:\n  epochs: 3\n", file: "old.yaml", defaults: TrainConfig())
        XCTAssertTrue(mixed.agentSettings is VTraceConfig)
        XCTAssertFalse(ConfigCoder.yaml(mixed).contains("ppo:"), "only the agent's own section is written")
        expectError("agent: vtrace\nppo:\n  epochz: 3\n", .unknownKey(file: "bad.yaml", key: "ppo.epochz", known: PPOSettingsKeys.all))
        expectError("sac:\n  tau: 2\n", .invalidValue(file: "bad.yaml", key: "sac.tau", value: "2.0", requirement: "be in [0, 1]"))
        let vtrace = try ConfigCoder.read(yaml: "agent: vtrace\nvtrace:\n  batch_size: 7\n", file: "ok.yaml", defaults: TrainConfig())
        XCTAssertEqual(vtrace.vtrace.learner.batchSize, 7)
        XCTAssertTrue(vtrace.agentSettings is VTraceConfig)
        XCTAssertNotEqual(vtrace, TrainConfig())
        XCTAssertEqual(try ConfigCoder.read(yaml: ConfigCoder.yaml(vtrace), file: "again.yaml", defaults: TrainConfig()), vtrace)
    }

    /// A device name is checked when the config is read: a bad one is a
    /// config error naming the key, not a failure at the start of training.
    func testDevice_isCheckedByTheLoader() throws {
        let url = configs.appendingPathComponent("cartpole_ppo.yaml")
        XCTAssertEqual(try TrainConfig.load(url, overrides: ["device=tpu-v1:bf16"]).device, "tpu-v1:bf16")
        for bad in ["tpu-v9", "tpu-v1:fp8"] {
            XCTAssertThrowsError(try TrainConfig.load(url, overrides: ["device=\(bad)"])) { error in
                XCTAssertTrue("\(error)".contains("'device'") && "\(error)".contains(bad), "\(error)")
            }
        }
    }

    func testMissingFile_isNamed() {
        XCTAssertThrowsError(try TrainConfig.load(URL(fileURLWithPath: "/nonexistent/x.yaml"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/x.yaml: cannot read"), "\(error)")
        }
    }
}

enum PPOSettingsKeys {
    static let all = ["adam_epsilon", "anneal_clip_range", "anneal_learning_rate", "clip_range", "entropy_coefficient", "epochs",
                      "gamma", "kl_cutoff_coefficient", "kl_cutoff_factor", "kl_initial_penalty", "kl_target", "lambda",
                      "learning_rate", "max_grad_norm", "minibatches", "normalize_advantages", "normalize_observations",
                      "normalize_rewards", "objective", "steps_per_env", "value_clip_range", "value_coefficient"]
}

enum TopLevelKeys {
    static let all = ["agent", "checkpoint", "device", "environment", "evaluation", "fleet", "logging", "max_consecutive_nonfinite", "name", "network", "ppo",
                      "r2d2", "sac", "seed", "total_steps", "vtrace"]
}
