import Foundation
import HerdCore

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
                        observation: batch.observations.row(row, width: pool.observationSize),
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
