import Foundation
import HerdTransport

/// `herd protocol check`: plays the learner against a worker written from
/// envs/PROTOCOL.md and says, check by check, what the worker got wrong.
///
/// Each scenario is a conversation of its own with a fresh worker: the
/// check binds a ROUTER and either starts the worker's command itself
/// (`{endpoint}` in it is replaced by where to connect) or waits for a
/// worker started by hand (then one per scenario: run it in a loop). What is
/// judged is the protocol only — frames, sequences, counts, values, what the
/// worker answers and when it exits — with the learner's own decoder and
/// limits, so a worker that passes is one the learner accepts.
public final class ProtocolCheck {
    public struct Options: Sendable {
        /// The worker's command line (`sh -c`), with `{endpoint}` for where to connect; nil: wait for workers started by hand.
        public var workerCommand: String?
        /// Where to bind (default: a fresh `ipc://` path).
        public var endpoint: String?
        public var environment = "CartPole-v1"
        public var settingsJSON = "{}"
        public var environments = 2
        public var steps = 300
        /// Seconds to wait for any one answer (a build or a step).
        public var timeout = 10.0
        /// Also check that the worker exits when the learner is silent (takes its whole learner timeout).
        public var slow = false
        public init() {}
    }

    public enum Verdict: String, Sendable { case pass = "ok", fail = "FAIL", warn = "warn", skip = "skip" }

    public struct Finding: Sendable {
        public let scenario: String
        public let verdict: Verdict
        public let detail: String
    }

    public let options: Options
    public private(set) var findings: [Finding] = []
    /// Where each line is reported as it is found.
    public var report: (Finding) -> Void = { _ in }
    private let context = ZMQContext()
    private let router: ZMQSocket
    public let endpoint: String
    private let workerLog: String
    var sequence: UInt64 = 0

    public init(_ options: Options) throws {
        self.options = options
        router = try ZMQSocket(context, .router)
        try router.setRouterMandatory(true)
        endpoint = options.endpoint ?? "ipc:///tmp/herd-protocol-check-\(getpid()).sock"
        try router.bind(endpoint)
        workerLog = NSTemporaryDirectory() + "herd-protocol-check-\(getpid()).log"
        _ = FileManager.default.createFile(atPath: workerLog, contents: nil)
    }

    deinit {
        if endpoint.hasPrefix("ipc://") { unlink(String(endpoint.dropFirst("ipc://".count))) }
    }

    /// Runs every scenario; true when none failed.
    public func run() -> Bool {
        let scenarios: [(String, (Conversation) throws -> Void)] = [
            ("conversation", conversation),
            ("seeds", seeds),
            ("heartbeats", heartbeats),
            ("requests before assign", requestsBeforeAssign),
            ("actions before reset", actionsBeforeReset),
            ("invalid actions", invalidActions),
            ("a second assign", secondAssign),
            ("malformed frames", malformedFrames),
            ("refusal", refusal),
            ("unknown environment", unknownEnvironment),
            ("another protocol version", otherVersion),
            ("goodbye", goodbye),
        ] + (options.slow ? [("learner silence", learnerSilence)] : [])
        for (name, body) in scenarios {
            do {
                let conversation = try start(name)
                defer { conversation.end() }
                try body(conversation)
            } catch let stop as Stop {
                note(name, .fail, stop.reason)
            } catch {
                note(name, .fail, "\(error)")
            }
        }
        if options.workerCommand != nil, findings.contains(where: { $0.verdict == .fail }) {
            report(Finding(scenario: "worker output", verdict: .warn, detail: "in \(workerLog)"))
        }
        return !findings.contains { $0.verdict == .fail }
    }

    // MARK: Scenarios

    /// hello → assign → ready → reset → results → `steps` actions → results.
    func conversation(_ c: Conversation) throws {
        let ready = try c.assignAndReady(seeds: seedList(1))
        note(c.name, .pass, "hello, assign and ready agree: \(ready.environmentCount) environments, observation \(ready.observationShape) "
             + "\(ready.observationDType)\(ready.observationBounds == nil ? "" : " within declared bounds"), "
             + "\(ready.actionKind == 0 ? "\(ready.discreteActions) discrete actions" : "box of \(ready.actionSize)")")
        var results = try c.request(.reset, ready: ready)
        var ended = 0, missingFinals = 0
        for _ in 0..<options.steps {
            results = try c.request(.actions(actions(ready, valid: true)), ready: ready)
            for i in 0..<Int(results.environmentCount) where results.terminated[i] || results.truncated[i] {
                ended += 1
                if !results.finalObservations.contains(where: { $0.index == UInt32(i) }) { missingFinals += 1 }
            }
        }
        note(c.name, .pass, "reset and \(options.steps) steps answered with the request's sequence, counts and dtype of ready, finite values; \(ended) episodes ended")
        if missingFinals > 0 {
            note(c.name, .warn, "\(missingFinals) of \(ended) ended environments came without a final observation (the learner then cannot bootstrap a truncated one)")
        }
    }

    /// The same seeds give the same first observations; other seeds, others.
    func seeds(_ c: Conversation) throws {
        let ready = try c.assignAndReady(seeds: seedList(7))
        let first = try c.request(.reset, ready: ready).observations.bytes
        let again = try c.assignAndReady(seeds: seedList(7))
        let second = try c.request(.reset, ready: again).observations.bytes
        guard first == second else { throw Stop("the same seeds gave different first observations (a worker must seed each first reset with assign.seeds[j])") }
        _ = try c.assignAndReady(seeds: seedList(8))
        let other = try c.request(.reset, ready: ready).observations.bytes
        note(c.name, first == other ? .warn : .pass,
             first == other ? "other seeds gave the same first observations (fine for a deterministic environment)" : "the same seeds give the same first observations")
    }

    /// An idle worker heartbeats at least once a second; a heartbeat to it
    /// in any state gets no answer.
    func heartbeats(_ c: Conversation) throws {
        try c.send(.heartbeat)  // before assign
        let ready = try c.assignAndReady(seeds: seedList(2))
        try c.send(.heartbeat)
        _ = try c.request(.reset, ready: ready)
        var beats = 0
        let until = Date().addingTimeInterval(3.2)
        while Date() < until {
            guard let (message, sequence) = try c.next(timeout: 0.1) else { continue }
            guard message == .heartbeat else { throw Stop("an idle worker sent \(message.kind) unasked") }
            if sequence != 0 { note(c.name, .warn, "a heartbeat carried sequence \(sequence); the protocol says 0") }
            beats += 1
        }
        guard beats >= 2 else { throw Stop("\(beats) heartbeats in 3.2 s of idleness; an idle worker sends one at least every second") }
        _ = try c.request(.actions(actions(ready, valid: true)), ready: ready)
        note(c.name, .pass, "\(beats) heartbeats in 3.2 s idle; heartbeats from the learner in any state went unanswered")
    }

    /// `reset` or `actions` before any `assign`: error 3 with the request's sequence.
    func requestsBeforeAssign(_ c: Conversation) throws {
        for message in [WireMessage.reset, .actions(Actions(environmentCount: 1, actionSize: 1, values: [0]))] {
            let sequence = c.nextSequence()
            try c.send(message, sequence: sequence)
            try expectError(c, answering: sequence, codes: [.badMessage], what: "\(message.kind) before assign")
        }
        note(c.name, .pass, "reset and actions before assign: error 3 with their sequence")
    }

    /// `actions` after ready but before the first reset: an error, no results.
    func actionsBeforeReset(_ c: Conversation) throws {
        let ready = try c.assignAndReady(seeds: seedList(3))
        let sequence = c.nextSequence()
        try c.send(.actions(actions(ready, valid: true)), sequence: sequence)
        let code = try expectError(c, answering: sequence, codes: nil, what: "actions before the first reset")
        note(c.name, code == .badMessage ? .pass : .warn,
             code == .badMessage ? "error 3 with the request's sequence" : "error \(code.rawValue) (\(code)); error 3 fits best")
        _ = try c.request(.reset, ready: ready)
    }

    /// An action out of the space: error 2, and no environment moved.
    func invalidActions(_ c: Conversation) throws {
        let ready = try c.assignAndReady(seeds: seedList(4))
        _ = try c.request(.reset, ready: ready)
        let sequence = c.nextSequence()
        try c.send(.actions(actions(ready, valid: false)), sequence: sequence)
        try expectError(c, answering: sequence, codes: [.invalidAction], what: ready.actionKind == 0 ? "an action out of range" : "a NaN action")
        note(c.name, .pass, "error 2 with the request's sequence")
    }

    /// A second assign: the worker builds the new environments and answers ready.
    func secondAssign(_ c: Conversation) throws {
        let ready = try c.assignAndReady(seeds: seedList(5))
        _ = try c.request(.reset, ready: ready)
        _ = try c.request(.actions(actions(ready, valid: true)), ready: ready)
        let again = try c.assignAndReady(seeds: seedList(6))
        _ = try c.request(.reset, ready: again)
        note(c.name, .pass, "ready again, then a reset answered")
    }

    /// Malformed frames and learner-only kinds from the learner: dropped, no answer.
    func malformedFrames(_ c: Conversation) throws {
        let ready = try c.assignAndReady(seeds: seedList(9))
        var badMagic = WireCodec.encode(.reset, sequence: c.nextSequence())
        badMagic[0] = 0x58
        var flags = WireCodec.encode(.reset, sequence: c.nextSequence())
        flags[7] = 1
        var unknownKind = WireCodec.encode(.reset, sequence: c.nextSequence())
        unknownKind[6] = 99
        let truncated = Array(WireCodec.encode(.actions(actions(ready, valid: true)), sequence: c.nextSequence()).dropLast(3))
        let learnerOnly = WireCodec.encode(.ready(ready), sequence: c.nextSequence())
        for (name, frame) in [("bad magic", badMagic), ("non-zero flags", flags), ("an unknown kind", unknownKind),
                              ("a truncated actions", truncated), ("a ready from the learner", learnerOnly), ("an empty frame", [])] {
            try c.sendRaw(frame)
            if let (message, _) = try c.next(timeout: 0.3), message != .heartbeat {
                throw Stop("\(name): answered \(message.kind); a malformed frame is dropped with no answer")
            }
        }
        _ = try c.request(.reset, ready: ready)
        note(c.name, .pass, "six malformed or misdirected frames dropped without an answer; the worker still answers")
    }

    /// `error` 5 from the learner: the worker waits for the goodbye that follows, then exits.
    func refusal(_ c: Conversation) throws {
        try c.send(.error(WireError(code: .refused, message: "protocol check: refused")))
        if let (message, _) = try c.next(timeout: 0.5), message != .heartbeat {
            throw Stop("answered a refusal with \(message.kind); the worker logs it and waits for goodbye")
        }
        try c.send(.goodbye)
        try expectExit(c, what: "goodbye after a refusal")
        note(c.name, .pass, "no answer to error 5; exited on the goodbye after it")
    }

    /// An environment the worker cannot build: error 1 in answer to assign.
    func unknownEnvironment(_ c: Conversation) throws {
        try c.send(.assign(Assign(workerIndex: 0, firstEnvironmentID: 0, environment: "NoSuchEnvironment-v99", settingsJSON: "{}",
                                  seeds: seedList(1), observationEncoding: .native)))
        try expectError(c, answering: 0, codes: [.buildFailed], what: "an assign of an unknown environment")
        note(c.name, .pass, "error 1")
    }

    /// A frame of another version: the worker exits (it cannot speak to this learner).
    func otherVersion(_ c: Conversation) throws {
        try c.sendRaw(WireCodec.encode(.reset, sequence: c.nextSequence(), version: WireCodec.version + 1))
        try expectExit(c, what: "a frame of protocol version \(WireCodec.version + 1)")
        note(c.name, .pass, "exited on a frame of another version")
    }

    func goodbye(_ c: Conversation) throws {
        let ready = try c.assignAndReady(seeds: seedList(10))
        _ = try c.request(.reset, ready: ready)
        try c.send(.goodbye)
        try expectExit(c, what: "goodbye")
        note(c.name, .pass, "exited on goodbye")
    }

    func learnerSilence(_ c: Conversation) throws {
        let ready = try c.assignAndReady(seeds: seedList(11))
        _ = try c.request(.reset, ready: ready)
        try expectExit(c, what: "a silent learner", within: 120)
        note(c.name, .pass, "exited when the learner fell silent")
    }

    // MARK: Pieces

    struct Stop: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    func note(_ scenario: String, _ verdict: Verdict, _ detail: String) {
        let finding = Finding(scenario: scenario, verdict: verdict, detail: detail)
        findings.append(finding)
        report(finding)
    }

    func seedList(_ base: UInt64) -> [UInt64] { (0..<options.environments).map { base &* 1_000_003 &+ UInt64($0) } }

    /// Actions for every environment: random valid ones, or one out of the space.
    func actions(_ ready: Ready, valid: Bool) -> Actions {
        let k = Int(ready.environmentCount), size = Int(ready.actionSize)
        var values: [Float]
        if ready.actionKind == 0 {
            values = (0..<k).map { _ in Float(Int.random(in: 0..<Int(ready.discreteActions))) }
            if !valid { values[0] = Float(ready.discreteActions) }
        } else {
            values = [Float](repeating: 0, count: k * size)
            if !valid { values[0] = .nan }
        }
        return Actions(environmentCount: UInt32(k), actionSize: UInt32(size), values: values)
    }

    @discardableResult
    func expectError(_ c: Conversation, answering sequence: UInt64, codes: Set<WireError.ErrorCode>?, what: String) throws -> WireError.ErrorCode {
        guard let (message, got) = try c.answer(timeout: options.timeout) else { throw Stop("\(what): no answer within \(options.timeout) s; expected error") }
        guard case let .error(error) = message else { throw Stop("\(what): answered \(message.kind); expected error") }
        if let codes, !codes.contains(error.code) {
            throw Stop("\(what): error \(error.code.rawValue) (\(error.code)); expected \(codes.map { "\($0.rawValue) (\($0))" }.joined(separator: " or "))")
        }
        if got != sequence { note(c.name, .warn, "\(what): the error carried sequence \(got); the request's was \(sequence)") }
        return error.code
    }

    func expectExit(_ c: Conversation, what: String, within seconds: Double = 5) throws {
        guard let process = c.process else {
            // A worker started by hand: it must at least go quiet.
            if let (message, _) = try c.next(timeout: 2), message != .goodbye { throw Stop("after \(what) it sent \(message.kind)") }
            return
        }
        guard process.waitForExit(timeout: seconds) else { throw Stop("still running \(seconds) s after \(what); it should exit") }
    }

    func start(_ name: String) throws -> Conversation {
        var process: ChildProcess?
        if let command = options.workerCommand {
            let line = command.replacingOccurrences(of: "{endpoint}", with: endpoint)
            try? "--- \(name)\n".appendLine(to: workerLog)
            process = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "exec \(line) >>'\(workerLog)' 2>&1"])
        }
        let c = Conversation(name: name, router: router, process: process, check: self)
        try c.awaitHello()
        return c
    }

    /// One worker's conversation: its routing id, its process if the check started it.
    final class Conversation {
        let name: String
        let router: ZMQSocket
        let process: ChildProcess?
        unowned let check: ProtocolCheck
        var peer: [UInt8] = []

        init(name: String, router: ZMQSocket, process: ChildProcess?, check: ProtocolCheck) {
            self.name = name
            self.router = router
            self.process = process
            self.check = check
        }

        /// Numbers for requests, from one counter across conversations (as a learner's).
        func nextSequence() -> UInt64 {
            check.sequence += 1
            return check.sequence
        }

        func awaitHello() throws {
            let deadline = Date().addingTimeInterval(check.options.timeout * 3)
            while Date() < deadline {
                if let process, !process.isRunning { throw Stop("the worker exited before it said hello (status \(process.exitCode.map(String.init) ?? "?"))") }
                guard let frames = try router.receive(timeoutMilliseconds: 100), frames.count == 2 else { continue }
                let decoded: (message: WireMessage, sequence: UInt64)
                do { decoded = try frames[1].withBytes { try WireCodec.decode($0) } } catch {
                    throw Stop("its first frame is not a valid protocol v\(WireCodec.version) frame: \(error)")
                }
                guard case let .hello(hello) = decoded.message else {
                    // A message from a worker of an earlier scenario (still exiting): not this conversation's.
                    continue
                }
                if decoded.sequence != 0 { check.note(name, .warn, "hello carried sequence \(decoded.sequence); the protocol says 0") }
                guard Int(hello.capacity) >= check.options.environments else {
                    throw Stop("hello offers capacity \(hello.capacity); the check needs \(check.options.environments) (--envs)")
                }
                peer = frames[0].byteArray
                return
            }
            throw Stop("no hello within \(check.options.timeout * 3) s on \(check.endpoint)")
        }

        func send(_ message: WireMessage, sequence: UInt64 = 0) throws { try sendRaw(WireCodec.encode(message, sequence: sequence)) }

        func sendRaw(_ frame: [UInt8]) throws {
            do { try router.send([peer, frame]) } catch { throw Stop("cannot reach the worker (\(error)); did it exit?") }
        }

        /// The next message from this worker within `timeout`, decoded with the learner's limits.
        func next(timeout: Double) throws -> (WireMessage, UInt64)? {
            let deadline = Date().addingTimeInterval(timeout)
            repeat {
                let left = max(0, Int(deadline.timeIntervalSinceNow * 1000))
                guard let frames = try router.receive(timeoutMilliseconds: min(left, 100)) else { continue }
                guard frames.count == 2, frames[0].byteArray == peer else { continue }
                do {
                    let decoded = try frames[1].withBytes { try WireCodec.decode($0) }
                    return (decoded.message, decoded.sequence)
                } catch {
                    throw Stop("sent a frame the learner would drop: \(error)")
                }
            } while Date() < deadline
            return nil
        }

        /// The next message that is not a heartbeat.
        func answer(timeout: Double) throws -> (WireMessage, UInt64)? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                guard let (message, sequence) = try next(timeout: deadline.timeIntervalSinceNow) else { return nil }
                if message != .heartbeat { return (message, sequence) }
            }
            return nil
        }

        func assignAndReady(seeds: [UInt64]) throws -> Ready {
            try send(.assign(Assign(workerIndex: 0, firstEnvironmentID: 0, environment: check.options.environment,
                                    settingsJSON: check.options.settingsJSON, seeds: seeds, observationEncoding: .native)))
            guard let (message, sequence) = try answer(timeout: check.options.timeout * 3) else { throw Stop("no answer to assign") }
            guard case let .ready(ready) = message else {
                if case let .error(error) = message { throw Stop("assign answered with error \(error.code.rawValue): \(error.message)") }
                throw Stop("assign answered with \(message.kind); expected ready")
            }
            if sequence != 0 { check.note(name, .warn, "ready carried sequence \(sequence); the protocol says 0") }
            guard Int(ready.environmentCount) == seeds.count else { throw Stop("ready says \(ready.environmentCount) environments; assign gave \(seeds.count)") }
            return ready
        }

        /// Sends a reset or actions and judges the results as the learner would.
        func request(_ message: WireMessage, ready: Ready) throws -> Results {
            let sequence = nextSequence()
            try send(message, sequence: sequence)
            guard let (answer, got) = try answer(timeout: check.options.timeout) else {
                throw Stop("no answer to \(message.kind) within \(check.options.timeout) s")
            }
            guard case let .results(results) = answer else {
                if case let .error(error) = answer { throw Stop("\(message.kind) answered with error \(error.code.rawValue): \(error.message)") }
                throw Stop("\(message.kind) answered with \(answer.kind); expected results")
            }
            guard got == sequence else { throw Stop("results carried sequence \(got); the \(message.kind) had \(sequence) (results copy the request's)") }
            guard results.environmentCount == ready.environmentCount, results.observationSize == ready.observationSize else {
                throw Stop("results for \(results.environmentCount) × \(results.observationSize); ready said \(ready.environmentCount) × \(ready.observationSize)")
            }
            guard results.observations.dtype == ready.observationDType else {
                throw Stop("results in \(results.observations.dtype); ready said \(ready.observationDType)")
            }
            if let problem = ProcessPool.valueProblem(results, bounds: ready.observationBounds) { throw Stop("unusable results: \(problem)") }
            if message == .reset, results.terminated.contains(true) || results.truncated.contains(true) {
                throw Stop("a reset's results mark an episode ended")
            }
            return results
        }

        func end() {
            try? send(.goodbye)
            if let process, !process.waitForExit(timeout: 2) { process.terminate() }
        }
    }
}

private extension String {
    func appendLine(to path: String) throws {
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(utf8))
    }
}
