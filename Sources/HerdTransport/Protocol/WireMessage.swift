/// Messages of Herd's environment protocol, version 2 (see `envs/PROTOCOL.md`,
/// the normative description; this file follows it).
///
/// A worker hosts `k` environments. The conversation is: worker `hello` →
/// learner `assign` → worker `ready` → learner `reset` → worker `results` →
/// (learner `actions` → worker `results`)* → learner `goodbye`. Either side
/// may send `heartbeat` at any time; a worker reports failures with `error`.
public enum WireMessage: Equatable, Sendable {
    case hello(Hello)
    case assign(Assign)
    case ready(Ready)
    case reset
    case actions(Actions)
    case results(Results)
    case heartbeat
    case goodbye
    case error(WireError)
    case frame(RenderedFrame)

    public var kind: MessageKind {
        switch self {
        case .hello: return .hello
        case .assign: return .assign
        case .ready: return .ready
        case .reset: return .reset
        case .actions: return .actions
        case .results: return .results
        case .heartbeat: return .heartbeat
        case .goodbye: return .goodbye
        case .error: return .error
        case .frame: return .frame
        }
    }
}

/// The `kind` byte of the header.
public enum MessageKind: UInt8, Sendable, CaseIterable {
    case hello = 1, assign, ready, reset, actions, results, heartbeat, goodbye, error, frame
}

/// Worker → learner, first message: how many environments it can host.
public struct Hello: Equatable, Sendable {
    /// Most environments this worker will host.
    public var capacity: UInt32
    /// The worker's process id (for logs).
    public var pid: UInt32
    /// A free-form label, e.g. `host:pid` (at most 4,096 bytes of UTF-8, the codec's text limit).
    public var label: String

    public init(capacity: UInt32, pid: UInt32, label: String) {
        self.capacity = capacity
        self.pid = pid
        self.label = label
    }
}

/// Learner → worker: what to build.
public struct Assign: Equatable, Sendable {
    /// The worker's index in the pool (for logs).
    public var workerIndex: UInt32
    /// Global id of the worker's first environment; its `k` environments are
    /// `firstEnvironmentID ..< firstEnvironmentID + k`.
    public var firstEnvironmentID: UInt32
    /// Environment name, e.g. `CartPole-v1` or `gymnasium:Acrobot-v1`.
    public var environment: String
    /// Settings as a JSON object of string keys to numbers, booleans or
    /// strings (`{}` for none).
    public var settingsJSON: String
    /// One reset seed per environment; `k = seeds.count`.
    public var seeds: [UInt64]
    /// How float observations should travel.
    public var observationEncoding: ObservationEncoding

    public init(workerIndex: UInt32, firstEnvironmentID: UInt32, environment: String, settingsJSON: String, seeds: [UInt64],
                observationEncoding: ObservationEncoding = .native) {
        self.workerIndex = workerIndex
        self.firstEnvironmentID = firstEnvironmentID
        self.environment = environment
        self.settingsJSON = settingsJSON
        self.seeds = seeds
        self.observationEncoding = observationEncoding
    }
}

/// The learner's wish for float observations, sent in `assign`.
public enum ObservationEncoding: UInt8, Sendable, CaseIterable {
    /// As the environment declares them (u8 images stay u8, floats f32).
    case native = 0
    /// Float observations as bfloat16 (u8 ones stay u8): half the bytes, 8
    /// bits of mantissa.
    case bf16 = 1
    /// Everything as float32, byte images too (to measure what u8 saves).
    case f32 = 2
}

/// Worker → learner: the environments are built; their shapes.
public struct Ready: Equatable, Sendable {
    public var environmentCount: UInt32
    /// Floats per observation.
    public var observationSize: UInt32
    /// Floats per action (1 for discrete).
    public var actionSize: UInt32
    /// 0 for discrete actions (then `discreteActions` is their count), 1 for box.
    public var actionKind: UInt8
    public var discreteActions: UInt32
    /// The observation's shape (its product is `observationSize`).
    public var observationShape: [UInt32]
    /// The element type every `results` of this worker carries.
    public var observationDType: ObservationDType
    /// The box its observations lie in, when the worker declares one.
    public var observationBounds: ObservationBounds?

    public init(environmentCount: UInt32, observationSize: UInt32, actionSize: UInt32, actionKind: UInt8,
                discreteActions: UInt32, observationShape: [UInt32], observationDType: ObservationDType = .f32,
                observationBounds: ObservationBounds? = nil) {
        self.environmentCount = environmentCount
        self.observationSize = observationSize
        self.actionSize = actionSize
        self.actionKind = actionKind
        self.discreteActions = discreteActions
        self.observationShape = observationShape
        self.observationDType = observationDType
        self.observationBounds = observationBounds
    }
}

/// The closed box a worker's observations lie in (`ready`'s optional
/// bounds, a Gymnasium `Box`'s `low` and `high`): element `i` of every
/// observation is within `low[i]...high[i]`; an infinite bound is none.
public struct ObservationBounds: Equatable, Sendable {
    public var low: [Float]
    public var high: [Float]

    public init(low: [Float], high: [Float]) {
        self.low = low
        self.high = high
    }
}

/// Learner → worker: one action per environment, `[k, actionSize]` float32.
public struct Actions: Equatable, Sendable {
    public var environmentCount: UInt32
    public var actionSize: UInt32
    public var values: [Float]

    public init(environmentCount: UInt32, actionSize: UInt32, values: [Float]) {
        self.environmentCount = environmentCount
        self.actionSize = actionSize
        self.values = values
    }
}

/// Worker → learner: the outcome of a reset or a step for all `k`
/// environments. Where an episode ended, the environment was already reset:
/// `observations` holds the new episode's first observation, the flags and
/// reward are the ended episode's, and the ended episode's last observation
/// is in `finalObservations`.
public struct Results: Equatable, Sendable {
    public var environmentCount: UInt32
    public var observationSize: UInt32
    /// `[k, observationSize]`, in the dtype agreed at `ready`.
    public var observations: ObservationBlock
    /// `[k]`, float64.
    public var rewards: [Double]
    /// `[k]`.
    public var terminated: [Bool]
    /// `[k]`.
    public var truncated: [Bool]
    /// For each environment whose episode ended: its index in `0..<k` and
    /// the episode's last observation.
    public var finalObservations: [FinalObservation]

    public init(environmentCount: UInt32, observationSize: UInt32, observations: ObservationBlock, rewards: [Double],
                terminated: [Bool], truncated: [Bool], finalObservations: [FinalObservation]) {
        self.environmentCount = environmentCount
        self.observationSize = observationSize
        self.observations = observations
        self.rewards = rewards
        self.terminated = terminated
        self.truncated = truncated
        self.finalObservations = finalObservations
    }
}

extension Results {
    /// Results with float32 observations.
    public init(environmentCount: UInt32, observationSize: UInt32, observations: [Float], rewards: [Double],
                terminated: [Bool], truncated: [Bool], finalObservations: [FinalObservation]) {
        self.init(environmentCount: environmentCount, observationSize: observationSize, observations: ObservationBlock(observations),
                  rewards: rewards, terminated: terminated, truncated: truncated, finalObservations: finalObservations)
    }
}

public struct FinalObservation: Equatable, Sendable {
    public var index: UInt32
    /// In the same dtype as the results' observations.
    public var observation: ObservationBlock

    public init(index: UInt32, observation: ObservationBlock) {
        self.index = index
        self.observation = observation
    }

    public init(index: UInt32, observation: [Float]) {
        self.init(index: index, observation: ObservationBlock(observation))
    }
}

/// Worker → learner: something went wrong (the worker goes on if it can).
public struct WireError: Equatable, Sendable {
    public var code: ErrorCode
    public var message: String

    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    public enum ErrorCode: UInt16, Sendable {
        /// The assigned environment could not be built (name, settings).
        case buildFailed = 1
        /// An action was outside its environment's action space.
        case invalidAction = 2
        /// A message arrived that the worker could not use.
        case badMessage = 3
        /// Anything else.
        case internalError = 4
        /// Learner → worker: no room for this worker, or a worker it does
        /// not know (one from before a learner restart); `goodbye` follows.
        case refused = 5
        /// Learner → worker: the worker went over one of the learner's
        /// limits (frame size, environments, messages out of turn);
        /// `goodbye` follows and its further messages are dropped.
        case limitExceeded = 6
    }
}

/// Worker → learner, only when `assign.settings` holds `herd_render`: a
/// picture of environment `index` (of the worker's `k`) as it is after the
/// `reset` or `actions` that the `results` following it answer (same
/// sequence). RGB bytes, row-major from the top-left corner.
public struct RenderedFrame: Equatable, Sendable {
    public var index: UInt32
    public var height: UInt32
    public var width: UInt32
    /// `height × width × 3` bytes.
    public var pixels: [UInt8]

    public init(index: UInt32, height: UInt32, width: UInt32, pixels: [UInt8]) {
        self.index = index
        self.height = height
        self.width = width
        self.pixels = pixels
    }
}
