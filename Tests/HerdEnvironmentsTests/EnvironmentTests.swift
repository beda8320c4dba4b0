import Foundation
import HerdEnvironments
import XCTest

final class EnvironmentTests: XCTestCase {
    /// Plays `steps` random actions, resetting at episode ends; returns every observation.
    func rollout(_ env: Environment, seed: UInt64, steps: Int) throws -> [[Float]] {
        var rng = RandomGenerator(seed: seed &+ 99)
        var observations = [env.reset(seed: seed)]
        for _ in 0..<steps {
            let step = try env.step(env.actionSpace.sample(using: &rng))
            observations.append(step.observation)
            if step.terminated || step.truncated { observations.append(env.reset()) }
        }
        return observations
    }

    func testDeterminism_sameSeedSameTrajectory_differentIndexDifferent() throws {
        for name in EnvironmentRegistry.names {
            let a = try rollout(try EnvironmentRegistry.make(name), seed: 7, steps: 300)
            let b = try rollout(try EnvironmentRegistry.make(name), seed: 7, steps: 300)
            XCTAssertEqual(a, b, name)
            let c = try rollout(try EnvironmentRegistry.make(name), seed: 8, steps: 300)
            XCTAssertNotEqual(a, c, "\(name): another seed should give another trajectory")
        }
        let seeds = (0..<64).map { environmentSeed(runSeed: 42, index: $0) }
        XCTAssertEqual(Set(seeds).count, 64, "environment i and j get different seeds")
        XCTAssertEqual(environmentSeed(runSeed: 42, index: 3), environmentSeed(runSeed: 42, index: 3))
        XCTAssertNotEqual(environmentSeed(runSeed: 42, index: 3), environmentSeed(runSeed: 43, index: 3))
    }

    func testObservationsStayInsideTheirSpaces_andResetRanges() throws {
        for name in EnvironmentRegistry.names {
            let env = try EnvironmentRegistry.make(name)
            for (i, observation) in try rollout(env, seed: 3, steps: 2000).enumerated() {
                XCTAssertTrue(env.observationSpace.contains(observation), "\(name) observation \(i) \(observation) outside \(env.observationSpace)")
            }
        }
        // Reset distributions, as Gymnasium draws them.
        let cartPole = try EnvironmentRegistry.make("CartPole-v1")
        let mountainCar = try EnvironmentRegistry.make("MountainCar-v0")
        let pendulum = try EnvironmentRegistry.make("Pendulum-v1")
        let acrobot = try EnvironmentRegistry.make("Acrobot-v1")
        for seed in 0..<200 as Range<UInt64> {
            XCTAssertTrue(cartPole.reset(seed: seed).allSatisfy { Swift.abs($0) <= 0.05 })
            let car = mountainCar.reset(seed: seed)
            XCTAssertTrue(car[0] >= -0.6 && car[0] <= -0.4 && car[1] == 0)
            let p = (pendulum.unwrapped as! PhysicalStateAccess)
            pendulum.reset(seed: seed)
            XCTAssertTrue(Swift.abs(p.physicalState[0]) <= Double.pi && Swift.abs(p.physicalState[1]) <= 1)
            acrobot.reset(seed: seed)
            let s = (acrobot.unwrapped as! PhysicalStateAccess).physicalState
            XCTAssertTrue(s.allSatisfy { Swift.abs($0) <= 0.1 && Double(Float($0)) == $0 }, "Acrobot resets to Float32 values in ±0.1")
        }
    }

    func testCartPoleNoVelocity_observesPositionAndAngleOfCartPole() throws {
        let full = try EnvironmentRegistry.make("CartPole-v1"), partial = try EnvironmentRegistry.make("CartPoleNoVelocity-v1")
        let a = full.reset(seed: 5), b = partial.reset(seed: 5)
        XCTAssertEqual(b, [a[0], a[2]])
        for action in [1, 0, 0, 1, 1] {
            let s = try full.step(action), t = try partial.step(action)
            XCTAssertEqual(t.observation, [s.observation[0], s.observation[2]])
            XCTAssertEqual(t.reward, s.reward)
        }
        XCTAssertEqual(partial.observationSpace.shape, [2])
    }

    // MARK: bsuite environments

    func testMemoryChain_rewardRulesAndObservations() throws {
        let env = try EnvironmentRegistry.make("MemoryChain-v0", settings: ["length": .int(3)])
        for seed in 0..<20 as Range<UInt64> {
            let first = env.reset(seed: seed)
            let cue = first[2]
            XCTAssertTrue(cue == 1 || cue == -1)
            XCTAssertEqual(first[0], 1)
            XCTAssertEqual(first[1], 0)
            // Three blank steps, then the query.
            for t in 1...3 {
                let step = try env.step(seed % 2 == 0 ? 0 : 1)
                XCTAssertEqual(step.observation, [1 - Float(t) / 4, 0, 0])
                XCTAssertEqual(step.reward, 0)
                XCTAssertFalse(step.terminated)
            }
            let query = try env.step(0)
            XCTAssertEqual(query.observation, [0, 1, 0])
            XCTAssertEqual(query.reward, 0)
            let answerRight = seed % 3 != 0
            let answer = answerRight ? (cue > 0 ? 1 : 0) : (cue > 0 ? 0 : 1)
            let end = try env.step(answer)
            XCTAssertTrue(end.terminated)
            XCTAssertEqual(end.reward, answerRight ? 1 : -1)
        }
    }

    /// A memoryless agent (one fixed answer) scores chance: mean return ≈ 0.
    func testMemoryChain_memorylessAgentIsAtChance() throws {
        let env = try EnvironmentRegistry.make("MemoryChain-v0")
        var total = 0.0
        let episodes = 4000
        env.reset(seed: 11)
        for _ in 0..<episodes {
            while true {
                let step = try env.step(1)
                if step.terminated { total += step.reward; break }
            }
            env.reset()
        }
        XCTAssertEqual(total / Double(episodes), 0, accuracy: 4 / Double(episodes).squareRoot())
    }

    func testCatch_ballFallsAndRewardDependsOnThePaddle() throws {
        let env = try EnvironmentRegistry.make("Catch-v0")
        XCTAssertEqual(env.observationSpace.shape, [1, 10, 5])
        for seed in 0..<30 as Range<UInt64> {
            let board = env.reset(seed: seed)
            XCTAssertEqual(board.reduce(0, +), 2)
            let ballColumn = board[0..<5].firstIndex(of: 1)!
            XCTAssertEqual(board[45 + 2], 1, "paddle starts in the middle of the bottom row")
            // Move towards the ball when seed is even; away when odd.
            var paddle = 2
            var last: Step?
            for _ in 0..<9 {
                let target = seed % 2 == 0 ? ballColumn : (ballColumn < 2 ? 4 : 0)
                let action = target > paddle ? 2 : (target < paddle ? 0 : 1)
                paddle = min(max(paddle + action - 1, 0), 4)
                last = try env.step(action)
                if last!.terminated { break }
                XCTAssertEqual(last!.reward, 0)
            }
            XCTAssertTrue(last!.terminated, "the ball lands after rows − 1 = 9 steps")
            XCTAssertEqual(last!.reward, seed % 2 == 0 ? 1 : -1)
            XCTAssertEqual(last!.observation[45 + paddle], 1)
        }
        // The paddle stops at the wall.
        env.reset(seed: 1)
        for _ in 0..<4 { _ = try env.step(0) }
        let step = try env.step(0)
        XCTAssertEqual(step.observation[45], 1)
    }

    // MARK: Errors

    func testInvalidActions_areErrorsThatNameTheActionAndSpace() throws {
        let cartPole = try EnvironmentRegistry.make("CartPole-v1")
        cartPole.reset(seed: 0)
        for bad: [Float] in [[2], [-1], [0.5], [.nan], [0, 1], []] {
            XCTAssertThrowsError(try cartPole.step(bad)) { error in
                guard case let .invalidAction(env, action, space)? = error as? EnvironmentError else { return XCTFail("\(error)") }
                XCTAssertEqual(env, "CartPole-v1")
                XCTAssertEqual(space, "Discrete(2)")
                XCTAssertEqual(action.count, bad.count)
            }
        }
        XCTAssertNoThrow(try cartPole.step(1), "a rejected action leaves the episode usable")
        let pendulum = try EnvironmentRegistry.make("Pendulum-v1")
        pendulum.reset(seed: 0)
        XCTAssertThrowsError(try pendulum.step([.infinity]))
        XCTAssertThrowsError(try pendulum.step([1, 1]))
        XCTAssertNoThrow(try pendulum.step([5]), "out-of-bounds torque is clipped, as in Gymnasium")
        XCTAssertEqual("\(EnvironmentError.invalidAction(environment: "Pendulum-v1", action: [1, 1], space: pendulum.actionSpace.description))",
                       "Pendulum-v1: action [1.0, 1.0] is not in the action space Box(-2.0, 2.0, (1,), float32)")
    }

    func testStepBeforeResetAndAfterTheEnd_needReset() throws {
        let fresh = try EnvironmentRegistry.make("Acrobot-v1")
        XCTAssertThrowsError(try fresh.step(0)) { XCTAssertEqual($0 as? EnvironmentError, .needsReset(environment: "Acrobot-v1")) }
        let env = try EnvironmentRegistry.make("CartPole-v1")
        env.reset(seed: 0)
        var step = try env.step(1)
        while !step.terminated { step = try env.step(1) }
        XCTAssertThrowsError(try env.step(1)) { XCTAssertEqual($0 as? EnvironmentError, .needsReset(environment: "CartPole-v1")) }
        let limited = try EnvironmentRegistry.make("Pendulum-v1", settings: ["max_episode_steps": .int(3)])
        limited.reset(seed: 0)
        _ = try limited.step([0])
        _ = try limited.step([0])
        XCTAssertTrue(try limited.step([0]).truncated)
        XCTAssertThrowsError(try limited.step([0]), "truncation ends the episode too")
        limited.reset()
        XCTAssertNoThrow(try limited.step([0]))
    }

    func testRegistryErrors_nameTheKey() throws {
        XCTAssertThrowsError(try EnvironmentRegistry.make("CartPole-v9")) { error in
            XCTAssertTrue("\(error)".hasPrefix("unknown environment 'CartPole-v9'; known: CartPole-v1, CartPoleNoVelocity-v1, Acrobot-v1"), "\(error)")
        }
        XCTAssertThrowsError(try EnvironmentRegistry.make("MemoryChain-v0", settings: ["lenght": .int(3)])) { error in
            XCTAssertEqual("\(error)", "MemoryChain-v0: unknown setting 'lenght' (known: length, max_episode_steps)")
        }
        XCTAssertThrowsError(try EnvironmentRegistry.make("Acrobot-v1", settings: ["g": .double(3)])) { error in
            XCTAssertEqual("\(error)", "Acrobot-v1: unknown setting 'g' (known: max_episode_steps)")
        }
        XCTAssertThrowsError(try EnvironmentRegistry.make("MemoryChain-v0", settings: ["length": .string("ten")])) { error in
            XCTAssertEqual("\(error)", "MemoryChain-v0: setting 'length' must be an integer, got \"ten\"")
        }
        XCTAssertThrowsError(try EnvironmentRegistry.make("Catch-v0", settings: ["rows": .int(1)])) { error in
            XCTAssertEqual("\(error)", "Catch-v0: setting 'rows' must be in 2...1000, got 1")
        }
        XCTAssertThrowsError(try EnvironmentRegistry.make("CartPole-v1", settings: ["sutton_barto_reward": .int(1)]))
        let pendulum = try EnvironmentRegistry.make("Pendulum-v1", settings: ["g": .int(9)])
        XCTAssertEqual((pendulum.unwrapped as! Pendulum).gravity, 9)
        XCTAssertThrowsError(try (pendulum.unwrapped as! PhysicalStateAccess).setPhysicalState([1])) { error in
            XCTAssertEqual("\(error)", "Pendulum-v1: a state needs 2 finite numbers [theta, theta_dot], got [1.0]")
        }
    }

    func testSettings_changeBehaviour() throws {
        // Sutton–Barto rewards: 0 per step, −1 on termination.
        let env = try EnvironmentRegistry.make("CartPole-v1", settings: ["sutton_barto_reward": .bool(true)])
        env.reset(seed: 0)
        var step = try env.step(1)
        XCTAssertEqual(step.reward, 0)
        while !step.terminated { step = try env.step(1) }
        XCTAssertEqual(step.reward, -1)
        // A smaller Catch board ends sooner.
        let small = try EnvironmentRegistry.make("Catch-v0", settings: ["rows": .int(4), "columns": .int(3)])
        small.reset(seed: 0)
        XCTAssertEqual(small.observationSpace.shape, [1, 4, 3])
        _ = try small.step(1)
        _ = try small.step(1)
        XCTAssertTrue(try small.step(1).terminated)
        XCTAssertEqual(SettingValue(parsing: "3"), .int(3))
        XCTAssertEqual(SettingValue(parsing: "0.5"), .double(0.5))
        XCTAssertEqual(SettingValue(parsing: "true"), .bool(true))
        XCTAssertEqual(SettingValue(parsing: "x"), .string("x"))
    }

    func testSpaces_descriptionsAndContains() {
        XCTAssertEqual(Space.discrete(3).description, "Discrete(3)")
        XCTAssertEqual(Space.box(low: -1, high: 1, shape: [1]).description, "Box(-1.0, 1.0, (1,), float32)")
        XCTAssertEqual(Space.box(low: [0, -.infinity], high: [1, .infinity], shape: [2]).description, "Box([0.0 -inf], [1.0 inf], (2,), float32)")
        XCTAssertTrue(Space.discrete(3).contains([2]))
        XCTAssertFalse(Space.discrete(3).contains([3]))
        XCTAssertFalse(Space.discrete(3).contains([1.5]))
        XCTAssertFalse(Space.box(low: 0, high: 1, shape: [2]).contains([0.5, .nan]))
        var rng = RandomGenerator(seed: 1)
        for _ in 0..<100 { XCTAssertTrue(Space.box(low: -2, high: 3, shape: [2, 2]).contains(Space.box(low: -2, high: 3, shape: [2, 2]).sample(using: &rng))) }
    }
}
