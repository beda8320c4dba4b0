/// Something with named parameters. Layers are reference types whose
/// parameters are tensors with ``Tensor/requiresGradient`` set; optimisers
/// update them in place, checkpoints read and write them by name.
public protocol Layer: AnyObject {
    /// Calls `body` once per parameter with its name relative to this layer
    /// (`weight`, `0.bias`, …), in a fixed order. `body` may replace the
    /// tensor (moving to a device).
    func visitParameters(_ body: (_ name: String, _ tensor: inout Tensor) throws -> Void) rethrows
}

extension Layer {
    /// `(name, tensor)` pairs in visiting order.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        var out: [(String, Tensor)] = []
        visitParameters { name, tensor in out.append((name, tensor)) }
        return out
    }

    /// Parameters named with `prefix.` in front (`policy.0.weight`).
    public func namedParameters(prefix: String) -> [(name: String, tensor: Tensor)] {
        namedParameters.map { (prefix.isEmpty ? $0.name : "\(prefix).\($0.name)", $0.tensor) }
    }

    /// The parameter tensors in visiting order.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// Total number of scalars in the parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Moves every parameter to `device` (an explicit, counted copy).
    public func move(to device: Device) throws {
        try visitParameters { _, tensor in
            let moved = try tensor.to(device)
            moved.requiresGradient = true
            tensor = moved
        }
    }

    /// Copies values from `other`, a layer of the same structure (target
    /// networks). Throws if the names or shapes differ.
    public func copyParameters(from other: Layer) throws {
        let source = Dictionary(other.namedParameters.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        try visitParameters { name, tensor in
            guard let value = source[name], value.shape == tensor.shape else {
                throw TensorIOError.missingTensor(name: name, file: "copyParameters")
            }
            tensor.assign(try value.to(tensor.device))
        }
    }
}

/// Elementwise nonlinearities between layers.
public enum Activation: String, Codable, CaseIterable, Sendable {
    case identity, tanh, relu, sigmoid

    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .identity: return x
        case .tanh: return x.tanh()
        case .relu: return x.relu()
        case .sigmoid: return x.sigmoid()
        }
    }
}

/// `[N, d1, d2, …] → [N, d1·d2·…]`. No parameters.
public final class Flatten: Layer {
    public init() {}
    public func callAsFunction(_ x: Tensor) -> Tensor { x.flattened() }
    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {}
}

extension Tensor {
    /// Marks this tensor as a parameter and returns it.
    func asParameter() -> Tensor {
        requiresGradient = true
        return self
    }
}
