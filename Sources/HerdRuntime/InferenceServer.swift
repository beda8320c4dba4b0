import Foundation
import HerdCore

/// One batch of inference requests: rows of the environments that are ready.
public struct InferenceRequest: Sendable {
    public var environmentIDs: [Int]
    /// `[B, observationSize]`.
    public var observations: [Float]
    /// `[B, actionSize]`: each environment's previous action (zeros at an episode start).
    public var previousActions: [Float]
    /// `[B]`: the reward that came with this observation (0 at an episode start).
    public var previousRewards: [Float]
    /// `[B]`: the observation is the first of an episode (reset recurrent state).
    public var episodeStarts: [Bool]
    /// Each row's recurrent state, as the policy last returned it (empty at an
    /// episode start and for feed-forward policies).
    public var recurrentStates: [[Float]]
}

/// A policy's answer for a request.
public struct InferenceResponse: Sendable {
    /// `[B, actionSize]`, in the environment's action format.
    public var actions: [Float]
    /// `[B, k]`: what the learner needs of the acting policy (V-trace: the
    /// behaviour logits or log-probabilities; R2D2: the Q values).
    public var behaviour: [Float]
    /// Each row's new recurrent state (empty for feed-forward policies).
    public var recurrentStates: [[Float]]

    public init(actions: [Float], behaviour: [Float], recurrentStates: [[Float]] = []) {
        self.actions = actions
        self.behaviour = behaviour
        self.recurrentStates = recurrentStates
    }
}

/// What the inference server acts with. The learner implements it over its
/// network; `infer` is called from the server's thread, so an implementation
/// that shares parameters with a training thread must synchronise (the
/// learner's newest parameters are used from the next call on).
public protocol InferencePolicy: AnyObject {
    func infer(_ request: InferenceRequest) throws -> InferenceResponse
    /// Learner steps taken so far: the parameter version that acts now.
    var version: Int { get }
}

/// One step of an unroll, in SEED RL's layout: what the environment returned
/// (`observation`, and the `reward` and flags of the transition that led to
/// it) and what the policy then did there (`action`, `behaviour`). When an
/// episode ends, `observation` is already the next episode's first and the
/// ended one's last is `finalObservation`.
public struct UnrollStep: Sendable {
    public var observation: [Float]
    public var reward: Float
    public var terminated: Bool
    public var truncated: Bool
    public var finalObservation: [Float]?
    public var action: [Float]
    public var behaviour: [Float]
    /// ``InferencePolicy/version`` when the action was chosen.
    public var version: Int
    /// The recurrent state the policy acted from (empty for feed-forward policies).
    public var recurrentState: [Float]
}

/// `T + overlap` steps of one environment (``UnrollStore``).
public struct Unroll: Sendable {
    public var environment: Int
    public var steps: [UnrollStep]
    /// The environment's first unroll, or its first after a discard: steps
    /// before it are gone (a learner that keeps per-environment history,
    /// like R2D2's sequence builder, starts over).
    public var fresh = false
    /// The oldest parameter version that acted in it: the learner's policy lag
    /// is its own version minus this when it trains on the unroll.
    public var oldestVersion: Int { steps.map(\.version).min() ?? 0 }
}

public struct InferenceSettings: Sendable {
    /// Most environments per inference batch (whole workers; at least one worker).
    public var maxBatchSize: Int
    /// Environments worth waiting for: a batch goes as soon as this many are
    /// ready, or at ``batchTimeout`` with whatever is ready.
    public var fullBatchSize: Int
    /// Seconds to wait for a full batch before acting on a partial one.
    public var batchTimeout: Double = 0.002
    /// `T`: new steps per unroll.
    public var unrollLength: Int = 20
    /// Steps an unroll repeats from the previous one: 1 for V-trace (the
    /// bootstrap step), 0 for a learner that takes a plain step stream (R2D2).
    public var unrollOverlap: Int = 1
    /// Finished unrolls waiting for the learner; the server blocks when full.
    public var queueCapacity: Int = 64

    public init(maxBatchSize: Int, fullBatchSize: Int? = nil) {
        self.maxBatchSize = maxBatchSize
        self.fullBatchSize = fullBatchSize ?? maxBatchSize
    }
}

/// SEED RL's central inference (Espeholt et al. 2020), on the process pool
/// in asynchronous mode: a thread receives whatever environments are ready
/// (``ProcessPool/receiveReady(maxBatchSize:fullBatchSize:timeout:)``), runs
/// one batched inference for them, sends the actions back, and keeps every
/// environment's state on the learner side: its previous action and reward,
/// its recurrent state, and the unroll being built. Finished unrolls go to
/// ``unrolls``, a bounded queue: when the learner falls behind, the server
/// waits instead of growing memory. A replaced worker's environments start
/// fresh unrolls; their partial ones are discarded and counted.
public final class InferenceServer: @unchecked Sendable {
    public let pool: ProcessPool
    public let policy: InferencePolicy
    public let settings: InferenceSettings
    public let unrolls: BoundedQueue<Unroll>

    private let lock = NSLock()
    private var thread: Thread?
    private var running = false
    private var failure: Error?
    private var store: UnrollStore<UnrollStep>
    /// Environments whose next unroll is ``Unroll/fresh``.
    private var freshEnvironments: Set<Int> = []
    private var latencies = LatencyWindow(capacity: 4096)
    private var _batches = 0
    private var _environmentSteps = 0
    private let done = DispatchSemaphore(value: 0)

    public init(pool: ProcessPool, policy: InferencePolicy, settings: InferenceSettings) {
        require(settings.maxBatchSize > 0 && settings.fullBatchSize > 0 && settings.unrollLength > 0 && settings.queueCapacity > 0,
                "inference settings must be positive: \(settings)")
        self.pool = pool
        self.policy = policy
        self.settings = settings
        unrolls = BoundedQueue(capacity: settings.queueCapacity)
        store = UnrollStore(environments: pool.environmentCount, length: settings.unrollLength, overlap: settings.unrollOverlap)
        freshEnvironments = Set(0..<pool.environmentCount)
    }

    /// Resets every environment and starts serving on a new thread.
    public func start() throws {
        let first = try pool.reset()
        lock.withLock { running = true }
        let thread = Thread { [self] in
            do { try serve(first) } catch { lock.withLock { failure = error } }
            unrolls.close()
            done.signal()
        }
        thread.name = "herd-inference"
        self.thread = thread
        thread.start()
    }

    /// Stops the loop after its current batch and waits for it. Rethrows an
    /// error that ended the loop.
    public func stop() throws {
        lock.withLock { running = false }
        unrolls.close()
        if thread != nil { done.wait() }
        thread = nil
        if let failure = lock.withLock({ failure }) { throw failure }
    }

    /// The error that stopped the loop, if any.
    public var error: Error? { lock.withLock { failure } }

    public struct Statistics: Sendable {
        public var batches: Int
        public var environmentSteps: Int
        public var meanBatchSize: Double
        /// Inference latency (receive to actions sent) over the last few thousand batches, in seconds.
        public var latencyP50: Double
        public var latencyP99: Double
        public var completedUnrolls: Int
        public var discardedUnrolls: Int
        public var discardedSteps: Int
        /// Times the server waited for the learner to take unrolls, and for how long.
        public var queueBlocked: Int
        public var queueBlockedSeconds: Double
    }

    /// Environment steps acted for so far (cheap; ``statistics`` sorts the latency window).
    public var environmentSteps: Int { lock.withLock { _environmentSteps } }

    public var statistics: Statistics {
        lock.withLock {
            Statistics(batches: _batches, environmentSteps: _environmentSteps,
                       meanBatchSize: Double(_environmentSteps) / Double(max(_batches, 1)),
                       latencyP50: latencies.quantile(0.5), latencyP99: latencies.quantile(0.99),
                       completedUnrolls: store.completedUnrolls, discardedUnrolls: store.discardedUnrolls,
                       discardedSteps: store.discardedSteps, queueBlocked: unrolls.blockedPuts,
                       queueBlockedSeconds: unrolls.blockedSeconds)
        }
    }

    // MARK: The loop

    private func serve(_ first: Batch) throws {
        let count = pool.environmentCount, actionSize = pool.actionSize
        var previousActions = [Float](repeating: 0, count: count * actionSize)
        var episodeStarts = [Bool](repeating: true, count: count)
        var states = [[Float]](repeating: [], count: count)
        var batch = first
        var received = Date()
        while lock.withLock({ running }) {
            let ids = batch.environmentIDs
            // A replaced or vanished worker: its environments' partial unrolls
            // and state belong to episodes that are gone.
            for id in batch.restartedEnvironments {
                lock.withLock { store.discard(environment: id) }
                freshEnvironments.insert(id)
                episodeStarts[id] = true
                states[id] = []
            }
            guard !ids.isEmpty else {
                // Nothing ready (remote places, no worker answered in time): look again.
                batch = try pool.receiveReady(maxBatchSize: settings.maxBatchSize, fullBatchSize: settings.fullBatchSize,
                                              timeout: settings.batchTimeout)
                received = Date()
                continue
            }
            for (row, id) in ids.enumerated() where batch.terminated[row] || batch.truncated[row] {
                episodeStarts[id] = true
            }
            var request = InferenceRequest(environmentIDs: ids, observations: batch.observations, previousActions: [],
                                           previousRewards: [], episodeStarts: ids.map { episodeStarts[$0] }, recurrentStates: [])
            for (row, id) in ids.enumerated() {
                let start = episodeStarts[id]
                request.previousActions += start ? [Float](repeating: 0, count: actionSize)
                    : Array(previousActions[(id * actionSize)..<((id + 1) * actionSize)])
                request.previousRewards.append(start ? 0 : Float(batch.rewards[row]))
                request.recurrentStates.append(start ? [] : states[id])
            }
            let version = policy.version
            let response = try policy.infer(request)
            let behaviourWidth = response.behaviour.count / max(ids.count, 1)
            require(response.actions.count == ids.count * actionSize && response.behaviour.count == ids.count * behaviourWidth,
                    "inference policy returned \(response.actions.count) action values for \(ids.count) rows × \(actionSize)")
            try pool.send(response.actions, environmentIDs: ids)
            let latency = Date().timeIntervalSince(received)

            var finished: [Unroll] = []
            lock.withLock {
                _batches += 1
                _environmentSteps += ids.count
                latencies.add(latency)
                for (row, id) in ids.enumerated() {
                    let step = UnrollStep(
                        observation: Array(batch.observations[(row * pool.observationSize)..<((row + 1) * pool.observationSize)]),
                        reward: Float(batch.rewards[row]), terminated: batch.terminated[row], truncated: batch.truncated[row],
                        finalObservation: batch.finalObservations[id],
                        action: Array(response.actions[(row * actionSize)..<((row + 1) * actionSize)]),
                        behaviour: Array(response.behaviour[(row * behaviourWidth)..<((row + 1) * behaviourWidth)]),
                        version: version, recurrentState: request.recurrentStates[row])
                    if let unroll = store.append(step, environment: id) {
                        finished.append(Unroll(environment: id, steps: unroll, fresh: freshEnvironments.remove(id) != nil))
                    }
                }
            }
            for (row, id) in ids.enumerated() {
                previousActions.replaceSubrange((id * actionSize)..<((id + 1) * actionSize),
                                                with: response.actions[(row * actionSize)..<((row + 1) * actionSize)])
                episodeStarts[id] = false
                if !response.recurrentStates.isEmpty { states[id] = response.recurrentStates[row] }
            }
            // Back-pressure: wait for the learner rather than queue without bound.
            for unroll in finished {
                while !unrolls.put(unroll, timeout: 0.1) {
                    if !lock.withLock({ running }) { return }
                }
            }
            batch = try pool.receiveReady(maxBatchSize: settings.maxBatchSize, fullBatchSize: settings.fullBatchSize,
                                          timeout: settings.batchTimeout)
            received = Date()
        }
    }
}

/// The last `capacity` latencies, for percentiles.
struct LatencyWindow {
    let capacity: Int
    private var values: [Double] = []
    private var next = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func add(_ value: Double) {
        if values.count < capacity { values.append(value) } else { values[next] = value }
        next = (next + 1) % capacity
    }

    /// The `q` quantile (nearest rank); 0 when empty.
    func quantile(_ q: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Swift.max(1, Int((q * Double(sorted.count)).rounded(.up)))
        return sorted[Swift.min(rank, sorted.count) - 1]
    }
}
