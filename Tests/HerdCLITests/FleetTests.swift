import Foundation
import HerdTestSupport
import HerdTraining
import XCTest

/// A learner with no local workers and `herd actor` daemons joining it over
/// TCP: real processes, real sockets. Where network namespaces can be made
/// (root with `ip`), the second test runs learner and daemon in two
/// namespaces joined by a veth pair, so the fleet crosses a real interface.
final class FleetTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = try temporaryDirectory()
    }

    override func tearDown() { try? FileManager.default.removeItem(at: scratch) }

    func learnedSteps(_ run: URL) -> Int {
        let records = (try? MetricsLog.read(run.appendingPathComponent("metrics.jsonl"))) ?? []
        return Int(records.last?["step"] ?? 0)
    }

    func learnerArguments(listen: String, run: URL) -> [String] {
        ["train", "configs/cartpole_vtrace.yaml", "--listen", listen, "--run-dir", run.path, "--set", "fleet.local_workers=0",
         "--set", "fleet.remote_timeout=1", "--set", "total_steps=100000000", "--set", "evaluation.interval_steps=0",
         "--set", "logging.interval_steps=5000"]
    }

    func testLearnerWithoutLocalWorkers_trainsWithADaemon_waitsWhenItIsKilled_andGoesOnWithANewOne() throws {
        let herd = try herdExecutable()
        let endpoint = "tcp://127.0.0.1:\(freeTCPPort())"
        let run = scratch.appendingPathComponent("run")
        let learner = try BackgroundProcess(herd, learnerArguments(listen: endpoint, run: run), log: scratch.appendingPathComponent("learner.log"))
        XCTAssertTrue(eventually(15) { learner.output.contains("waiting for remote workers on \(endpoint)") }, learner.output)

        let first = try BackgroundProcess(herd, ["actor", "--learner", endpoint, "--workers", "1", "--capacity", "16"],
                                   log: scratch.appendingPathComponent("actor1.log"))
        XCTAssertTrue(eventually(30) { self.learnedSteps(run) >= 20_000 }, "no training with the daemon:\n\(learner.output)\n\(first.output)")
        XCTAssertTrue(learner.output.contains("joined as worker"), learner.output)

        // kill -9: the learner notices, stays up and waits; the daemon's workers leave with it.
        kill(first.process.processIdentifier, SIGKILL)
        XCTAssertTrue(eventually(10) { learner.output.contains("its place is free") }, learner.output)
        XCTAssertTrue(eventually(5) { first.output.contains("the parent process is gone") }, first.output)
        let stalled = learnedSteps(run)
        // A window to see that nothing happens (not a synchronisation): no condition marks "no step taken".
        usleep(1_500_000)
        XCTAssertTrue(learner.process.isRunning, learner.output)
        XCTAssertLessThanOrEqual(learnedSteps(run), stalled + 5_000, "training went on with no workers")

        // Two new daemons join the learner that is already training, and the work goes on.
        let second = try BackgroundProcess(herd, ["actor", "--learner", endpoint, "--workers", "1", "--capacity", "16"],
                                    log: scratch.appendingPathComponent("actor2.log"))
        let third = try BackgroundProcess(herd, ["actor", "--learner", endpoint, "--workers", "1", "--capacity", "16"],
                                   log: scratch.appendingPathComponent("actor3.log"))
        XCTAssertTrue(eventually(30) { self.learnedSteps(run) >= stalled + 20_000 }, "no training after the new daemons:\n\(learner.output)")
        XCTAssertTrue(eventually(10) { learner.output.components(separatedBy: "joined as worker").count - 1 == 3 }, learner.output)
        third.process.terminate()
        XCTAssertTrue(third.waitForExit(10), third.output)
        XCTAssertEqual(third.process.terminationStatus, 0, "SIGTERM stops a daemon cleanly: \(third.output)")

        // Both stop cleanly on a signal; the learner writes its checkpoint and summary.
        second.process.interrupt()
        XCTAssertTrue(second.waitForExit(10), second.output)
        XCTAssertEqual(second.process.terminationStatus, 0, second.output)
        learner.process.interrupt()
        XCTAssertTrue(learner.waitForExit(20), learner.output)
        XCTAssertEqual(learner.process.terminationStatus, 0, learner.output)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any]
        XCTAssertEqual(summary?["stopped_by_signal"] as? Bool, true)
        XCTAssertEqual(summary?["remote_joined"] as? Double, 3)
        XCTAssertGreaterThanOrEqual(summary?["remote_lost"] as? Double ?? 0, 1)
        // Its partial unrolls are discarded, unless the worker died just after its
        // environments completed an unroll (common under back-pressure): then none was partial.
        XCTAssertNotNil(summary?["unrolls_discarded"] as? Double)
    }

    /// `herd keys generate`, then a CURVE learner: the authorised daemon
    /// trains it; a daemon with an unknown key and one with no key are
    /// refused at the handshake, logged with their address, never join, and
    /// training goes on. The summary counts them.
    func testCurveFleet_authorisedDaemonTrains_unknownAndKeylessDaemonsAreRefused() throws {
        let herd = try herdExecutable()
        let keys = scratch.appendingPathComponent("keys")
        for name in ["learner", "good", "bad"] {
            let result = try runProcess(herd, ["keys", "generate", "--out", keys.appendingPathComponent(name).path])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("public key: "), result.stdout)
        }
        let again = try runProcess(herd, ["keys", "generate", "--out", keys.appendingPathComponent("learner").path])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("refusing to overwrite"), again.stderr)
        let authorized = scratch.appendingPathComponent("authorized")
        try FileManager.default.createDirectory(at: authorized, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: keys.appendingPathComponent("good/public.key"), to: authorized.appendingPathComponent("good.key"))

        let endpoint = "tcp://127.0.0.1:\(freeTCPPort())"
        let run = scratch.appendingPathComponent("run")
        let learner = try BackgroundProcess(herd, learnerArguments(listen: endpoint, run: run) + [
            "--curve-secret-key", keys.appendingPathComponent("learner/secret.key").path, "--authorized-keys", authorized.path],
                                     log: scratch.appendingPathComponent("learner.log"))
        XCTAssertTrue(eventually(15) { learner.output.contains("waiting for remote workers") }, learner.output)
        let serverKey = keys.appendingPathComponent("learner/public.key").path
        let bad = try BackgroundProcess(herd, ["actor", "--learner", endpoint, "--workers", "1", "--capacity", "16",
                                        "--curve-key", keys.appendingPathComponent("bad/secret.key").path, "--server-key", serverKey],
                                 log: scratch.appendingPathComponent("bad.log"))
        let keyless = try BackgroundProcess(herd, ["actor", "--learner", endpoint, "--workers", "1", "--capacity", "16"],
                                     log: scratch.appendingPathComponent("keyless.log"))
        XCTAssertTrue(eventually(15) { learner.output.contains("is not authorised") && learner.output.contains("handshake failed") },
                      learner.output)
        XCTAssertTrue(learner.output.contains("refused a client at 127.0.0.1"), learner.output)
        XCTAssertFalse(learner.output.contains("joined as worker"), "no unauthenticated worker may join:\n\(learner.output)")
        XCTAssertEqual(learnedSteps(run), 0)

        let good = try BackgroundProcess(herd, ["actor", "--learner", endpoint, "--workers", "1", "--capacity", "16",
                                         "--curve-key", keys.appendingPathComponent("good/secret.key").path, "--server-key", serverKey],
                                  log: scratch.appendingPathComponent("good.log"))
        XCTAssertTrue(eventually(30) { self.learnedSteps(run) >= 20_000 }, "no training with the authorised daemon:\n\(learner.output)")
        for daemon in [good, bad, keyless] {
            daemon.process.interrupt()
            XCTAssertTrue(daemon.waitForExit(10), daemon.output)
        }
        learner.process.interrupt()
        XCTAssertTrue(learner.waitForExit(20), learner.output)
        XCTAssertEqual(learner.process.terminationStatus, 0, learner.output)
        XCTAssertEqual(learner.output.components(separatedBy: "joined as worker").count - 1, 1, learner.output)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any]
        XCTAssertEqual(summary?["remote_joined"] as? Double, 1)
        XCTAssertEqual(summary?["remote_refused"] as? Double, 0, "refusals happen at the handshake, before the protocol")
        XCTAssertGreaterThanOrEqual(summary?["curve_refused_unknown_key"] as? Double ?? 0, 1)
        XCTAssertGreaterThanOrEqual(summary?["curve_refused_handshake"] as? Double ?? 0, 1)
    }

    /// Listening beyond loopback without CURVE works but warns; a port alone
    /// listens on loopback; half a CURVE setup is a config error.
    func testListen_beyondLoopbackWithoutCurveWarns_portAloneIsLoopback() throws {
        let herd = try herdExecutable()
        let port = freeTCPPort()
        let short = ["train", "configs/cartpole_vtrace.yaml", "--set", "total_steps=2000", "--set", "evaluation.interval_steps=0"]
        let open = try runProcess(herd, short + ["--listen", "tcp://0.0.0.0:\(port)", "--run-dir", scratch.appendingPathComponent("a").path])
        XCTAssertEqual(open.status, 0, open.stderr)
        XCTAssertTrue(open.stderr.contains("without CURVE"), open.stderr)
        let loopback = try runProcess(herd, short + ["--listen", "\(port)", "--run-dir", scratch.appendingPathComponent("b").path])
        XCTAssertEqual(loopback.status, 0, loopback.stderr)
        XCTAssertFalse(loopback.stderr.contains("without CURVE"), loopback.stderr)
        let resolved = try String(contentsOf: scratch.appendingPathComponent("b/config.yaml"), encoding: .utf8)
        XCTAssertTrue(resolved.contains("tcp://127.0.0.1:\(port)"), resolved)
        let half = try runProcess(herd, short + ["--curve-secret-key", "/nonexistent/secret.key"])
        XCTAssertNotEqual(half.status, 0)
        XCTAssertTrue(half.stderr.contains("fleet.curve_secret_key"), half.stderr)
    }

    func testDaemon_failsFastOnAnUnusableEndpoint() throws {
        let herd = try herdExecutable()
        for (endpoint, message) in [("ipc:///tmp/x.sock", "expected tcp://HOST:PORT"), ("tcp://127.0.0.1:99999", "port in 1...65535"),
                                    ("tcp://no-such-host.invalid:5555", "does not resolve")] {
            let result = try runProcess(herd, ["actor", "--learner", endpoint])  // how fast: TimingTests
            XCTAssertNotEqual(result.status, 0, endpoint)
            XCTAssertTrue(result.stderr.contains(message), "\(endpoint): \(result.stderr)")
        }
    }

    /// Learner in one network namespace, daemon in another, over a veth pair.
    func testFleetAcrossNetworkNamespaces() throws {
        let ip = "/usr/sbin/ip"
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: ip) else {
            throw XCTSkip("network namespaces need root and iproute2; the fleet was tested over loopback only")
        }
        let tag = String(getpid() % 100_000)
        let (a, b) = ("herd-a\(tag)", "herd-b\(tag)")
        let (va, vb) = ("hva\(tag)", "hvb\(tag)")
        func sh(_ arguments: [String]) throws {
            let result = try runProcess(ip, arguments)
            guard result.status == 0 else { throw XCTSkip("cannot set up network namespaces (ip \(arguments.joined(separator: " ")): \(result.stderr))") }
        }
        defer {
            _ = try? runProcess(ip, ["netns", "del", a])
            _ = try? runProcess(ip, ["netns", "del", b])
        }
        try sh(["netns", "add", a])
        try sh(["netns", "add", b])
        try sh(["link", "add", va, "type", "veth", "peer", "name", vb])
        try sh(["link", "set", va, "netns", a])
        try sh(["link", "set", vb, "netns", b])
        try sh(["-n", a, "addr", "add", "10.231.0.1/24", "dev", va])
        try sh(["-n", b, "addr", "add", "10.231.0.2/24", "dev", vb])
        for (ns, dev) in [(a, va), (b, vb)] {
            try sh(["-n", ns, "link", "set", dev, "up"])
            try sh(["-n", ns, "link", "set", "lo", "up"])
        }
        print("FleetTests: learner in namespace \(a) (10.231.0.1), daemon in \(b) (10.231.0.2), over veth \(va)–\(vb)")
        let herd = try herdExecutable()
        let endpoint = "tcp://10.231.0.1:5555"
        let run = scratch.appendingPathComponent("ns")
        let learner = try BackgroundProcess(ip, ["netns", "exec", a, herd] + learnerArguments(listen: endpoint, run: run),
                                     log: scratch.appendingPathComponent("learner.log"))
        XCTAssertTrue(eventually(15) { learner.output.contains("waiting for remote workers") }, learner.output)
        let daemon = try BackgroundProcess(ip, ["netns", "exec", b, herd, "actor", "--learner", endpoint, "--workers", "2", "--capacity", "32"],
                                    log: scratch.appendingPathComponent("actor.log"))
        XCTAssertTrue(eventually(30) { self.learnedSteps(run) >= 20_000 }, "no training across namespaces:\n\(learner.output)\n\(daemon.output)")
        XCTAssertTrue(learner.output.contains("joined as worker"), learner.output)
        daemon.process.interrupt()
        XCTAssertTrue(daemon.waitForExit(10), daemon.output)
        learner.process.interrupt()
        XCTAssertTrue(learner.waitForExit(20), learner.output)
        XCTAssertEqual(learner.process.terminationStatus, 0, learner.output)
    }
}
