import Foundation

/// Records differentiable ops while active and computes gradients of a scalar
/// with respect to any tensors that took part, in reverse order (eager
/// reverse-mode autodiff, like TensorFlow's `GradientTape`).
///
/// ```swift
/// let tape = GradientTape()
/// let loss = tape.record { model(x).square().mean() }
/// let grads = tape.gradients(of: loss, wrt: model.parameters)
/// ```
///
/// A tensor takes part when it has ``Tensor/requiresGradient`` set, was
/// passed to ``watch(_:)``, or was computed on this tape from one that takes
/// part. Gradients of a tensor used several times are summed. The active tape
/// is per thread; `record` blocks nest, the inner one recording. Backward
/// functions run with recording off (no higher-order gradients).
public final class GradientTape {
    struct Entry {
        /// Slot of each input, or -1 where the input does not take part.
        let inputSlots: [Int]
        let outputSlot: Int
        /// Maps the output's gradient to the inputs' gradients (same order,
        /// `nil` for "no gradient").
        let backward: (Tensor) -> [Tensor?]
    }

    private static let idLock = NSLock()
    nonisolated(unsafe) private static var lastID: UInt64 = 0

    let id: UInt64
    private var entries: [Entry] = []
    private var slotCount = 0

    public init() {
        id = Self.idLock.withLock {
            Self.lastID += 1
            return Self.lastID
        }
    }

    /// Number of ops recorded so far.
    public var recordedOps: Int { entries.count }

    /// Runs `body` with this tape recording on the current thread.
    public func record<R>(_ body: () throws -> R) rethrows -> R {
        let previous = TapeContext.current
        TapeContext.current = self
        defer { TapeContext.current = previous }
        return try body()
    }

    /// Makes `tensor` take part as a leaf, as parameters do.
    public func watch(_ tensor: Tensor) { _ = leafSlot(tensor) }

    /// Gradients of the scalar `loss` with respect to each of `sources`, in
    /// order. A source the loss does not depend on gets zeros of its shape.
    public func gradients(of loss: Tensor, wrt sources: [Tensor]) -> [Tensor] {
        require(loss.count == 1, "gradients(of:) needs a scalar loss, got shape \(loss.shape)")
        let seed = loss.filled(with: 1)
        return gradients(of: loss, seed: seed, wrt: sources)
    }

    /// Vector-Jacobian product: gradients of `Σ output · seed`.
    public func gradients(of output: Tensor, seed: Tensor, wrt sources: [Tensor]) -> [Tensor] {
        require(seed.shape == output.shape, "seed shape \(seed.shape) != output shape \(output.shape)")
        let previous = TapeContext.current
        TapeContext.current = nil
        defer { TapeContext.current = previous }

        var grads = [Tensor?](repeating: nil, count: slotCount)
        if let slot = recordedSlot(of: output) { grads[slot] = seed }
        for entry in entries.reversed() {
            guard let outputGradient = grads[entry.outputSlot] else { continue }
            let inputGradients = entry.backward(outputGradient)
            for (slot, gradient) in zip(entry.inputSlots, inputGradients) where slot >= 0 {
                guard let gradient else { continue }
                if let existing = grads[slot] {
                    grads[slot] = existing.addingWithoutTape(gradient)
                } else {
                    grads[slot] = gradient
                }
            }
        }
        return sources.map { source in
            guard let slot = recordedSlot(of: source), let gradient = grads[slot] else { return source.filled(with: 0) }
            require(gradient.shape == source.shape,
                         "internal: gradient shape \(gradient.shape) for tensor of shape \(source.shape)")
            return gradient
        }
    }

    // MARK: Recording (used by ops)

    /// The slot `tensor` already has on this tape; reading gradients must
    /// not assign new ones.
    private func recordedSlot(of tensor: Tensor) -> Int? {
        tensor.tapeID == id && tensor.tapeSlot >= 0 ? tensor.tapeSlot : nil
    }

    /// The slot holding `tensor`'s gradient on this tape, if it takes part
    /// (a parameter seen for the first time gets one).
    func slot(of tensor: Tensor) -> Int? {
        if tensor.tapeID == id, tensor.tapeSlot >= 0 { return tensor.tapeSlot }
        return tensor.requiresGradient ? leafSlot(tensor) : nil
    }

    /// Whether `tensor` takes part in this tape (so an op needs its gradient).
    func takesPart(_ tensor: Tensor) -> Bool {
        (tensor.tapeID == id && tensor.tapeSlot >= 0) || tensor.requiresGradient
    }

    private func leafSlot(_ tensor: Tensor) -> Int {
        if tensor.tapeID == id, tensor.tapeSlot >= 0 { return tensor.tapeSlot }
        tensor.tapeID = id
        tensor.tapeSlot = slotCount
        slotCount += 1
        return tensor.tapeSlot
    }

    /// Records that `output` was computed from `inputs`; does nothing when
    /// no input takes part.
    func record(_ inputs: [Tensor], _ output: Tensor, backward: @escaping (Tensor) -> [Tensor?]) {
        var slots = [Int](repeating: -1, count: inputs.count)
        var any = false
        for (i, input) in inputs.enumerated() {
            if let slot = slot(of: input) {
                slots[i] = slot
                any = true
            }
        }
        guard any else { return }
        output.tapeID = id
        output.tapeSlot = slotCount
        slotCount += 1
        entries.append(Entry(inputSlots: slots, outputSlot: output.tapeSlot, backward: backward))
    }
}

/// The tape recording on the current thread, kept in a pthread key so the
/// check every op makes costs a few nanoseconds.
enum TapeContext {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// The recording tape; the `record` call that set it keeps it alive.
    static var current: GradientTape? {
        get {
            guard let raw = pthread_getspecific(key) else { return nil }
            return Unmanaged<GradientTape>.fromOpaque(raw).takeUnretainedValue()
        }
        set {
            let raw = newValue.map { UnsafeMutableRawPointer(Unmanaged.passUnretained($0).toOpaque()) }
            pthread_setspecific(key, raw)
        }
    }
}

/// Runs `body` with gradient recording off on this thread (for acting,
/// evaluation, target computation).
public func withoutGradients<R>(_ body: () throws -> R) rethrows -> R {
    let previous = TapeContext.current
    TapeContext.current = nil
    defer { TapeContext.current = previous }
    return try body()
}

extension Tensor {
    /// This tensor's buffer as a new tensor that no tape tracks: gradients
    /// stop here.
    public func stopGradient() -> Tensor { Tensor(shape: shape, storage: storage) }
}
