import Foundation

/// Updates named parameters in place from their gradients.
///
/// An optimiser is built over `(name, tensor)` pairs (``Layer/namedParameters``)
/// and keeps its per-parameter state under those names, so the state can be
/// checkpointed and restored by name (``stateTensors``, ``loadState(_:)``).
public protocol Optimizer: AnyObject {
    /// Step size used by the next ``step(_:)``; schedules set it.
    var learningRate: Float { get set }
    /// Updates made so far.
    var stepCount: Int { get }
    /// Applies one update; `gradients` align with the parameters.
    func step(_ gradients: [Tensor])
    /// Slot tensors by `slot/parameter-name`, plus `step`, for checkpoints.
    var stateTensors: [(name: String, tensor: Tensor)] { get }
    /// Restores state written by ``stateTensors``; throws naming a missing
    /// or mis-shaped entry.
    func loadState(_ tensors: [String: Tensor]) throws
}

/// Shared storage of an optimiser: the parameters and zero-initialised slots.
public class OptimizerBase {
    public let parameters: [(name: String, tensor: Tensor)]
    public var learningRate: Float
    public internal(set) var stepCount = 0
    /// Slot name → one tensor per parameter.
    var slots: [(name: String, tensors: [Tensor])] = []

    init(_ parameters: [(name: String, tensor: Tensor)], learningRate: Float) {
        require(learningRate >= 0, "learning rate \(learningRate) < 0")
        self.parameters = parameters
        self.learningRate = learningRate
    }

    /// Adds a slot filled with `value`, one tensor per parameter.
    func addSlot(_ name: String, value: Float = 0) -> [Tensor] {
        let tensors = parameters.map { $0.tensor.filled(with: value) }
        slots.append((name, tensors))
        return tensors
    }

    func checkGradients(_ gradients: [Tensor]) {
        require(gradients.count == parameters.count, "\(gradients.count) gradients for \(parameters.count) parameters")
        for (g, p) in zip(gradients, parameters) {
            require(g.shape == p.tensor.shape, "gradient \(g.shape) for parameter \(p.name) \(p.tensor.shape)")
            _ = commonDevice("optimizer step", g, p.tensor)
        }
    }

    public var stateTensors: [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = [("step", Tensor(Float(stepCount)))]
        for slot in slots {
            for (p, t) in zip(parameters, slot.tensors) { out.append(("\(slot.name)/\(p.name)", t)) }
        }
        return out
    }

    public func loadState(_ tensors: [String: Tensor]) throws {
        guard let step = tensors["step"], step.count == 1 else { throw TensorIOError.missingTensor(name: "step", file: "optimizer state") }
        for slot in slots {
            for (p, t) in zip(parameters, slot.tensors) {
                let name = "\(slot.name)/\(p.name)"
                guard let saved = tensors[name] else { throw TensorIOError.missingTensor(name: name, file: "optimizer state") }
                guard saved.shape == t.shape else {
                    throw TensorIOError.shapeMismatch(name: name, expected: t.shape, found: saved.shape)
                }
                t.assign(try saved.to(t.device))
            }
        }
        stepCount = Int(try step.to(.cpu).scalar)
    }

    /// Charges an update of `elements` scalars to the device (simulated accelerators).
    func charge(_ flopsPerElement: Double, slotsTouched: Int) {
        for p in parameters where !p.tensor.device.isHost {
            p.tensor.device.charge(.vector(elements: p.tensor.count, flopsPerElement: flopsPerElement,
                                           bytes: 4 * p.tensor.count * (2 + 2 * slotsTouched)))
        }
    }
}

/// Stochastic gradient descent with optional momentum (PyTorch's form):
/// `v ← μ·v + g;  θ ← θ − η·v` (plain SGD when μ = 0).
public final class SGD: OptimizerBase, Optimizer {
    public let momentum: Float
    private var velocity: [Tensor] = []

    public init(_ parameters: [(name: String, tensor: Tensor)], learningRate: Float, momentum: Float = 0) {
        self.momentum = momentum
        super.init(parameters, learningRate: learningRate)
        if momentum != 0 { velocity = addSlot("momentum") }
    }

    public func step(_ gradients: [Tensor]) {
        checkGradients(gradients)
        let (lr, mu) = (learningRate, momentum)
        for (i, (p, g)) in zip(parameters.map(\.tensor), gradients).enumerated() {
            let pp = p.base, pg = g.base
            if mu == 0 {
                for j in 0..<p.count { pp[j] -= lr * pg[j] }
            } else {
                let v = velocity[i].base
                for j in 0..<p.count {
                    v[j] = mu * v[j] + pg[j]
                    pp[j] -= lr * v[j]
                }
            }
        }
        stepCount += 1
        charge(3, slotsTouched: mu == 0 ? 0 : 1)
    }
}
