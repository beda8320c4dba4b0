/// Hidden and cell state of an LSTM, each `[B, hiddenSize]`.
public struct LSTMState {
    public var hidden: Tensor
    public var cell: Tensor

    public init(hidden: Tensor, cell: Tensor) {
        require(hidden.shape == cell.shape, "LSTMState: hidden \(hidden.shape) vs cell \(cell.shape)")
        self.hidden = hidden
        self.cell = cell
    }

    /// Zeros for a batch of `batchSize` on `device`.
    public static func zeros(batchSize: Int, hiddenSize: Int, on device: Device = .cpu) throws -> LSTMState {
        LSTMState(hidden: try .zeros([batchSize, hiddenSize], on: device),
                  cell: try .zeros([batchSize, hiddenSize], on: device))
    }
}

/// One LSTM step (Hochreiter & Schmidhuber 1997, with a forget gate):
///
///     z = x·Wx + h·Wh + b,   [i, f, g, o] = split(z, 4)
///     c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g),   h' = σ(o) ⊙ tanh(c')
///
/// Gate order i, f, g, o as in PyTorch. Parameters: `input_weight`
/// `[in, 4H]`, `hidden_weight` `[H, 4H]`, `bias` `[4H]` with the forget
/// gate's part set to 1 (Jozefowicz et al. 2015).
public final class LSTMCell: Layer {
    public private(set) var inputWeight: Tensor
    public private(set) var hiddenWeight: Tensor
    public private(set) var bias: Tensor
    public let hiddenSize: Int

    public init(inputSize: Int, hiddenSize: Int, using rng: inout RandomGenerator) {
        self.hiddenSize = hiddenSize
        inputWeight = WeightInitializer.glorotUniform().matrix(fanIn: inputSize, fanOut: 4 * hiddenSize, using: &rng).asParameter()
        hiddenWeight = WeightInitializer.orthogonal().matrix(fanIn: hiddenSize, fanOut: 4 * hiddenSize, using: &rng).asParameter()
        var b = [Float](repeating: 0, count: 4 * hiddenSize)
        for j in hiddenSize..<(2 * hiddenSize) { b[j] = 1 }
        bias = Tensor(b).asParameter()
    }

    public var inputSize: Int { inputWeight.shape[0] }

    /// One step: `x: [B, in]`, state `[B, H]` each.
    public func callAsFunction(_ x: Tensor, state: LSTMState) -> LSTMState {
        step(preactivation: Tensor.linear(x, inputWeight, bias), state: state)
    }

    /// One step from `x·Wx + b` computed ahead (for whole sequences at once).
    func step(preactivation zx: Tensor, state: LSTMState) -> LSTMState {
        let z = zx + Tensor.matmul(state.hidden, hiddenWeight)
        let h = hiddenSize
        let i = z.slice(axis: 1, 0..<h).sigmoid()
        let f = z.slice(axis: 1, h..<(2 * h)).sigmoid()
        let g = z.slice(axis: 1, (2 * h)..<(3 * h)).tanh()
        let o = z.slice(axis: 1, (3 * h)..<(4 * h)).sigmoid()
        let cell = f * state.cell + i * g
        return LSTMState(hidden: o * cell.tanh(), cell: cell)
    }

    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try body("input_weight", &inputWeight)
        try body("hidden_weight", &hiddenWeight)
        try body("bias", &bias)
    }
}

/// An LSTM unrolled over time, time-major: `sequence: [T, B, in]` →
/// outputs `[T, B, H]` and the final state. The input projection of all
/// steps is one matrix product. Where `resets[t, b]` is 1 the state is zeroed
/// before step `t` (an episode began), so one unroll can cross episodes.
public final class LSTM: Layer {
    public let cell: LSTMCell

    public init(inputSize: Int, hiddenSize: Int, using rng: inout RandomGenerator) {
        cell = LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, using: &rng)
    }

    public func callAsFunction(_ sequence: Tensor, state: LSTMState, resets: Tensor? = nil) -> (outputs: Tensor, state: LSTMState) {
        require(sequence.rank == 3, "LSTM expects [T, B, in], got \(sequence.shape)")
        let (steps, batch) = (sequence.shape[0], sequence.shape[1])
        if let resets { require(resets.shape == [steps, batch], "LSTM resets \(resets.shape) for [T, B] = [\(steps), \(batch)]") }
        let projected = Tensor.linear(sequence, cell.inputWeight, cell.bias)  // [T, B, 4H]
        var state = state
        var outputs: [Tensor] = []
        outputs.reserveCapacity(steps)
        for t in 0..<steps {
            if let resets {
                let keep = 1 - resets.slice(axis: 0, t..<(t + 1)).reshaped([batch, 1]).stopGradient()
                state = LSTMState(hidden: state.hidden * keep, cell: state.cell * keep)
            }
            state = cell.step(preactivation: projected.slice(axis: 0, t..<(t + 1)).reshaped([batch, -1]), state: state)
            outputs.append(state.hidden)
        }
        return (Tensor.stack(outputs, axis: 0), state)
    }

    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try cell.visitParameters(body)
    }
}
