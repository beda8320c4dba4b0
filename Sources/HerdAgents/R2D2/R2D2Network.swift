import HerdCore
import HerdTensor

/// Shape of R2D2's Q-network.
public struct R2D2NetworkSettings: Equatable, Sendable {
    /// Torso: convolutions (image observations) then these hidden widths.
    public var torso = NetworkSettings()
    /// LSTM width.
    public var lstmSize = 64
    /// Replace the LSTM by a feed-forward layer of the same width (the
    /// memoryless baseline for MemoryChain).
    public var feedForward = false
    /// Dueling heads: `Q = V + A − mean(A)` (Wang et al. 2016).
    public var dueling = true
    /// Feed the previous action (one-hot) and reward to the core, as the
    /// paper does. Off for a truly memoryless baseline: an agent can learn to
    /// carry a bit in its own (otherwise ignored) actions and read it back
    /// from the previous-action input.
    public var previousInputs = true

    public init() {
        torso.hiddenSizes = [64]
        torso.activation = .relu
    }
}

/// R2D2's recurrent Q-network (Kapturowski et al. 2019, §2.3): a torso over
/// the observation, whose features are concatenated with the previous
/// action (one-hot; zeros at an episode start) and the previous reward, an
/// LSTM, and dueling value and advantage heads.
///
/// Sequences are time-major: ``unroll(_:)`` takes `[T, B]` inputs and the
/// state at step 0 and returns Q values `[T, B, A]` and the final state.
public final class R2D2Network: Layer {
    public let settings: R2D2NetworkSettings
    public let observationSize: Int
    public let actions: Int
    let conv: ConvTorso?
    let mlp: MLP?
    let lstm: LSTM?
    let feedForward: Linear?
    let valueHead: Linear?
    let advantageHead: Linear

    public init(observationSize: Int, observationShape: [Int]? = nil, actions: Int, settings: R2D2NetworkSettings,
                using rng: inout RandomGenerator) {
        require(observationSize > 0 && actions > 0 && settings.lstmSize > 0, "R2D2Network: sizes must be positive")
        self.settings = settings
        self.observationSize = observationSize
        self.actions = actions
        conv = settings.torso.convChannels.isEmpty ? nil
            : ConvTorso(observationShape: observationShape ?? [], settings: settings.torso, using: &rng)
        let convOut = conv?.outputSize ?? observationSize
        mlp = settings.torso.hiddenSizes.isEmpty ? nil
            : MLP(sizes: [convOut] + settings.torso.hiddenSizes, activation: settings.torso.activation,
                  outputActivation: settings.torso.activation, initializer: .orthogonal(gain: Float(2).squareRoot()), using: &rng)
        let core = (settings.torso.hiddenSizes.last ?? convOut) + (settings.previousInputs ? actions + 1 : 0)
        if settings.feedForward {
            lstm = nil
            feedForward = Linear(core, settings.lstmSize, initializer: .orthogonal(gain: Float(2).squareRoot()), using: &rng)
        } else {
            lstm = LSTM(inputSize: core, hiddenSize: settings.lstmSize, using: &rng)
            feedForward = nil
        }
        valueHead = settings.dueling ? Linear(settings.lstmSize, 1, initializer: .orthogonal(gain: 1), using: &rng) : nil
        advantageHead = Linear(settings.lstmSize, actions, initializer: .orthogonal(gain: 1), using: &rng)
    }

    /// Floats of one row's recurrent state (hidden then cell); 0 for the feed-forward variant.
    public var stateSize: Int { lstm == nil ? 0 : 2 * settings.lstmSize }

    /// `[T, B]` inputs of one unroll, flat and time-major.
    public struct Inputs {
        public var steps: Int
        public var batchSize: Int
        /// `[T, B, observationSize]`.
        public var observations: ObservationRows
        /// `[T, B]`: the previous action's index, or −1 for none (episode start, padding).
        public var previousActions: [Int]
        /// `[T, B]`.
        public var previousRewards: [Float]
        /// `[T, B]`: 1 where the state is zeroed before the step (an episode's first step).
        public var resets: [Float]
        /// `[B, 2H]` (hidden then cell per row); empty: zeros.
        public var initialState: [Float]

        public init(steps: Int, batchSize: Int, observations: [Float], previousActions: [Int], previousRewards: [Float],
                    resets: [Float], initialState: [Float]) {
            self.init(steps: steps, batchSize: batchSize, observations: ObservationRows(observations), previousActions: previousActions,
                      previousRewards: previousRewards, resets: resets, initialState: initialState)
        }

        public init(steps: Int, batchSize: Int, observations: ObservationRows, previousActions: [Int], previousRewards: [Float],
                    resets: [Float], initialState: [Float]) {
            self.steps = steps
            self.batchSize = batchSize
            self.observations = observations
            self.previousActions = previousActions
            self.previousRewards = previousRewards
            self.resets = resets
            self.initialState = initialState
        }
    }

    /// Q values `[T, B, A]` and the state after the last step, `[B, 2H]` flat.
    public func unroll(_ inputs: Inputs, device: Device = .cpu) throws -> (q: Tensor, state: Tensor?) {
        let (T, B, A, n) = (inputs.steps, inputs.batchSize, actions, observationSize)
        require(inputs.observations.count == T * B * n && inputs.previousActions.count == T * B && inputs.previousRewards.count == T * B
                && inputs.resets.count == T * B, "R2D2Network.unroll: inputs do not match [T, B] = [\(T), \(B)]")
        var features = try inputs.observations.tensor(shape: [T * B, n], on: device)
        if let conv { features = conv(features) }
        if let mlp { features = mlp(features) }
        var core = features
        if settings.previousInputs {
            var extra = [Float](repeating: 0, count: T * B * (A + 1))
            for r in 0..<(T * B) {
                let a = inputs.previousActions[r]
                if a >= 0 && a < A { extra[r * (A + 1) + a] = 1 }
                extra[r * (A + 1) + A] = inputs.previousRewards[r]
            }
            core = Tensor.concat([features, try Tensor(extra, shape: [T * B, A + 1]).to(device)], axis: 1)
        }
        let hidden: Tensor, finalState: Tensor?
        if let lstm {
            let H = settings.lstmSize
            let start: LSTMState
            if inputs.initialState.isEmpty {
                start = try LSTMState.zeros(batchSize: B, hiddenSize: H, on: device)
            } else {
                require(inputs.initialState.count == B * 2 * H, "R2D2Network.unroll: initial state of \(inputs.initialState.count) floats for [\(B), \(2 * H)]")
                let both = try Tensor(inputs.initialState, shape: [B, 2 * H]).to(device)
                start = LSTMState(hidden: both.slice(axis: 1, 0..<H), cell: both.slice(axis: 1, H..<(2 * H)))
            }
            let resets = try Tensor(inputs.resets, shape: [T, B]).to(device)
            let (outputs, state) = lstm(core.reshaped([T, B, -1]), state: start, resets: resets)
            hidden = outputs.reshaped([T * B, H])
            finalState = Tensor.concat([state.hidden, state.cell], axis: 1)
        } else {
            hidden = feedForward!(core).relu()
            finalState = nil
        }
        let advantages = advantageHead(hidden)
        let q: Tensor
        if let valueHead {
            q = valueHead(hidden) + advantages - advantages.mean(axis: 1, keepDims: true)
        } else {
            q = advantages
        }
        return (q.reshaped([T, B, A]), finalState)
    }

    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try conv?.visitParameters { name, t in try body("conv.\(name)", &t) }
        try mlp?.visitParameters { name, t in try body("torso.\(name)", &t) }
        try lstm?.visitParameters { name, t in try body("lstm.\(name)", &t) }
        try feedForward?.visitParameters { name, t in try body("core.\(name)", &t) }
        try valueHead?.visitParameters { name, t in try body("value.\(name)", &t) }
        try advantageHead.visitParameters { name, t in try body("advantage.\(name)", &t) }
    }
}
