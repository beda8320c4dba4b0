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

    /// A process whose standard error goes to a file we can read while it runs.
    final class Background {
        let process = Process()
        let log: URL
        init(_ executable: String, _ arguments: [String], log: URL) throws {
            self.log = log
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.currentDirectoryURL = repositoryRoot
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }
        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
        func waitForExit(_ seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            return !process.isRunning
        }
        deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    }

    /// Polls `condition` for up to `seconds`.
    func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

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
        let learner = try Background(herd, learnerArguments(listen: endpoint, run: run), log: scratch.appendingPathComponent("learner.log"))
        XCTAssertTrue(eventually(15) { learner.output.contains("waiting for remote workers on \(endpoint)") }, learner.output)

        let first = try Background(herd, ["actor", "--learner", endpoint, "--workers", "1", "--capacity", "16"],
                                   log: scratch.appendingPathComponent("actor1.log"))
        XCTAssertTrue(eventually(30) { self.learnedSteps(run) >= 20_000 }, "no training with the daemon:\n\(learner.output)\n\(first.output)")
        XCTAssertTrue(learner.output.contains("joined as worker"), learner.output)

        // kill -9: the learner notices, stays up and waits; the daemon's workers leave with it.
        kill(first.process.processIdentifier, SIGKILL)
        XCTAssertTrue(eventually(10) { learner.output.contains("its place is free") }, learner.output)
        XCTAssertTrue(eventually(5) { first.output.contains("the parent process is gone") }, first.output)
        let stalled = learnedSteps(run)
        usleep(1_500_000)
        XCTAssertTrue(learner.process.isRunning, learner.output)
        XCTAssertLessThanOrEqual(learnedSteps(run), stalled + 5_000, "training went on with no workers")

        // Two new daemons join the learner that is already training, and the work goes on.
        let second = try Background(herd, ["actor", "--learner", endpoint, "--workers", "1", "--capacity", "16"],
                                    log: scratch.appendingPathComponent("actor2.log"))
        let third = try Background(herd, ["actor", "--learner", endpoint, "--workers", "1", "--capacity", "16"],
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

    func testDaemon_failsFastOnAnUnusableEndpoint() throws {
        let herd = try herdExecutable()
        for (endpoint, message) in [("ipc:///tmp/x.sock", "expected tcp://HOST:PORT"), ("tcp://127.0.0.1:99999", "port in 1...65535"),
                                    ("tcp://no-such-host.invalid:5555", "does not resolve")] {
            let started = Date()
            let result = try runProcess(herd, ["actor", "--learner", endpoint])
            XCTAssertNotEqual(result.status, 0, endpoint)
            XCTAssertTrue(result.stderr.contains(message), "\(endpoint): \(result.stderr)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 10)
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
        let learner = try Background(ip, ["netns", "exec", a, herd] + learnerArguments(listen: endpoint, run: run),
                                     log: scratch.appendingPathComponent("learner.log"))
        XCTAssertTrue(eventually(15) { learner.output.contains("waiting for remote workers") }, learner.output)
        let daemon = try Background(ip, ["netns", "exec", b, herd, "actor", "--learner", endpoint, "--workers", "2", "--capacity", "32"],
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
