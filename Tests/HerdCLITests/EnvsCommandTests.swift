import Foundation
import HerdTestSupport
import XCTest

final class EnvsCommandTests: XCTestCase {
    var herd: String { get throws { try herdExecutable() } }

    /// `herd envs trace MinAtar/…` prints what the `minatar` package gives
    /// for the same seed and actions (sticky actions included).
    func testTrace_minAtar_printsWhatThePackageGives() throws {
        let python = try pythonWith(["minatar"])
        let script = repositoryRoot.appendingPathComponent("Tests/HerdEnvironmentsTests/Fixtures/minatar_reference.py").path
        func actions(_ rule: (Int) -> Int) -> String { (0..<300).map { String(rule($0)) }.joined(separator: ",") }
        for (name, seed, actions) in [("MinAtar/Freeway-v1", 3, actions { $0 % 5 == 4 ? 0 : 1 }),  // mostly up
                                      ("MinAtar/Seaquest-v1", 11, actions { ($0 * 7 + $0 / 5) % 6 })] {
            let herdTrace = try runProcess(try herd, ["envs", "trace", name, "--seed", "\(seed)", "--actions", actions, "--json"])
            XCTAssertEqual(herdTrace.status, 0, herdTrace.stderr)
            let reference = try runPythonFile(python, script, ["trace", name, "\(seed)", "--actions", actions])
            XCTAssertEqual(reference.status, 0, reference.stderr)
            let ours = herdTrace.stdout.split(separator: "\n"), theirs = reference.stdout.split(separator: "\n")
            XCTAssertEqual(ours.count, theirs.count, "\(name): steps until the episode ends")
            for (t, (a, b)) in zip(ours, theirs).enumerated() {
                let mine = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(a.utf8)) as? [String: Any])
                let package = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(b.utf8)) as? [String: Any])
                XCTAssertEqual((mine["obs"] as? [Double])?.map { Int($0) }, package["obs"] as? [Int], "\(name) step \(t + 1)")
                XCTAssertEqual(mine["reward"] as? Double, package["reward"] as? Double, "\(name) step \(t + 1)")
                XCTAssertEqual(mine["terminated"] as? Bool, package["terminal"] as? Bool, "\(name) step \(t + 1)")
            }
        }
    }

    func testList_jsonHasEveryEnvironment() throws {
        let result = try runProcess(try herd, ["envs", "list", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["name"] as? String }, ["CartPole-v1", "CartPoleNoVelocity-v1", "Acrobot-v1", "MountainCar-v0",
                                                             "MountainCarContinuous-v0", "Pendulum-v1", "MemoryChain-v0", "Catch-v0"]
                       + ["Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"].flatMap { ["MinAtar/\($0)-v0", "MinAtar/\($0)-v1"] })
        XCTAssertEqual(rows[0]["action_space"] as? String, "Discrete(2)")
        XCTAssertEqual(rows[0]["max_episode_steps"] as? Int, 500)
        XCTAssertTrue(rows[6]["max_episode_steps"] is NSNull)
        let table = try runProcess(try herd, ["envs", "list"])
        XCTAssertTrue(table.stdout.contains("Pendulum-v1") && table.stdout.contains("Box(-2.0, 2.0, (1,), float32)"), table.stdout)
    }

    /// The trace of a state and actions, against Gymnasium itself run on the same
    /// state and actions (when Python's gymnasium is installed; `.ci/run` installs it).
    func testTrace_matchesGymnasiumFromAState() throws {
        let python = try pythonWith(["gymnasium", "numpy"])
        let cases: [(env: String, state: String, actions: String)] = [
            ("CartPole-v1", "0.1,-0.2,0.15,0.3", "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1"),
            ("Acrobot-v1", "0.5,-1,2,-3", "0,2,1,2,0"),
            ("MountainCar-v0", "0.45,0.03", "2,2,2,2,2"),
            ("Pendulum-v1", "3,1", "0.5,-2.5,1.75"),
            ("MountainCarContinuous-v0", "0.4,0.04", "1,0.5,-0.2"),
        ]
        let script = """
        import sys, json
        import gymnasium as gym, numpy as np
        name, state, actions = sys.argv[1], [float(x) for x in sys.argv[2].split(',')], sys.argv[3].split(',')
        env = gym.make(name); env.reset(seed=0); env.unwrapped.state = np.array(state)
        for a in actions:
            a = int(a) if isinstance(env.action_space, gym.spaces.Discrete) else np.array([float(a)], dtype=np.float32)
            o, r, te, tr, _ = env.step(a)
            print(json.dumps({"obs": [float(x) for x in o], "reward": float(r), "terminated": te, "truncated": tr}))
            if te or tr: break
        """
        for (env, state, actions) in cases {
            let ours = try runProcess(try herd, ["envs", "trace", env, "--state", state, "--actions", actions, "--json"])
            XCTAssertEqual(ours.status, 0, ours.stderr)
            let theirs = try runPython(python, script, [env, state, actions])
            XCTAssertEqual(theirs.status, 0, theirs.stderr)
            let a = ours.stdout.split(separator: "\n"), b = theirs.stdout.split(separator: "\n")
            XCTAssertEqual(a.count, b.count, "\(env): same number of steps (stops at the end)")
            for (x, y) in zip(a, b) {
                let p = try JSONSerialization.jsonObject(with: Data(x.utf8)) as! [String: Any]
                let q = try JSONSerialization.jsonObject(with: Data(y.utf8)) as! [String: Any]
                XCTAssertEqual(p["reward"] as? Double, q["reward"] as? Double, env)
                XCTAssertEqual(p["terminated"] as? Bool, q["terminated"] as? Bool, env)
                XCTAssertEqual(p["truncated"] as? Bool, q["truncated"] as? Bool, env)
                let po = (p["obs"] as! [Double]).map(Float.init), qo = (q["obs"] as! [Double]).map(Float.init)
                XCTAssertEqual(po, qo, "\(env): observations print and parse to the same Float32 values")
            }
        }
    }

    func testTrace_stopsAtTheEnd_andReportsErrors() throws {
        let trace = try runProcess(try herd, ["envs", "trace", "MemoryChain-v0", "--set", "length=1", "--actions", "0,0,1,1,1", "--json"])
        XCTAssertEqual(trace.status, 0, trace.stderr)
        let lines = trace.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 3, "stops at the terminating step")
        XCTAssertTrue(lines[2].contains("\"terminated\": true"), String(lines[2]))
        let vector = try runProcess(try herd, ["envs", "trace", "Pendulum-v1", "--actions", "0.5;1", "--json"])
        XCTAssertEqual(vector.stdout.split(separator: "\n").count, 2, vector.stderr)
        // Negative values are values, not options.
        let negative = try runProcess(try herd, ["envs", "trace", "CartPole-v1", "--state", "-0.05,0,0.02,0", "--actions", "1", "--json"])
        XCTAssertEqual(negative.status, 0, negative.stderr)
        XCTAssertTrue(negative.stdout.contains("-0.05"), negative.stdout)
        let negativeAction = try runProcess(try herd, ["envs", "trace", "Pendulum-v1", "--actions", "-2;1.5", "--json"])
        XCTAssertEqual(negativeAction.stdout.split(separator: "\n").count, 2, negativeAction.stderr)
        for (arguments, message) in [
            (["envs", "trace", "CartPole-v1", "--actions", "3"], "Error: CartPole-v1: action [3.0] is not in the action space Discrete(2)"),
            (["envs", "trace", "Catch-v0", "--actions", "1", "--state", "1"], "Error: Catch-v0 has no settable physical state; omit --state"),
            (["envs", "trace", "CartPole-v1", "--actions", "1", "--state", "1,2"], "a state needs 4 finite numbers [x, x_dot, theta, theta_dot]"),
            (["envs", "trace", "Nope-v0", "--actions", "1"], "unknown environment 'Nope-v0'; known: CartPole-v1"),
            (["envs", "trace", "MemoryChain-v0", "--set", "size=3", "--actions", "1"], "unknown setting 'size' (known: length, max_episode_steps)"),
            (["envs", "trace", "CartPole-v1", "--actions", "1,x"], "--actions: 'x' is not a number"),
        ] {
            let result = try runProcess(try herd, arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    func testBenchEnvsInProcess_json() throws {
        let result = try runProcess(try herd, ["bench", "envs", "--in-process", "--env", "Acrobot-v1", "--steps", "2000", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["steps"] as? Int, 2000)
        XCTAssertGreaterThan(object["steps_per_second"] as? Double ?? 0, 0)
        // Pool mode: real worker processes; the JSON carries every promised key.
        let pool = try runProcess(try herd, ["bench", "envs", "--env", "CartPole-v1", "--workers", "2", "--envs-per-worker", "4",
                                             "--steps", "800", "--json"])
        XCTAssertEqual(pool.status, 0, pool.stderr)
        let figures = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(pool.stdout.utf8)) as? [String: Any])
        for key in ["steps_per_second", "steps", "seconds", "workers_replaced", "latency_p50_us", "latency_p99_us"] {
            XCTAssertNotNil(figures[key], "missing \(key) in \(pool.stdout)")
        }
        XCTAssertEqual(figures["workers_replaced"] as? Int, 0)
        XCTAssertGreaterThanOrEqual(figures["steps"] as? Int ?? 0, 800)
        let asynchronous = try runProcess(try herd, ["bench", "envs", "--env", "Acrobot-v1", "--workers", "2", "--envs-per-worker", "2",
                                                     "--async", "--batch-size", "2", "--steps", "200", "--json"])
        XCTAssertEqual(asynchronous.status, 0, asynchronous.stderr)
        XCTAssertTrue(asynchronous.stdout.contains("\"mode\":\"async\""), asynchronous.stdout)
        let bad = try runProcess(try herd, ["bench", "envs", "--batch-size", "4"])
        XCTAssertTrue(bad.stderr.contains("--batch-size needs --async"), bad.stderr)
    }
}
