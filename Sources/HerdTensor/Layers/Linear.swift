/// `y = x·W + b` with `W: [inputSize, outputSize]`, `b: [outputSize]`
/// (zero-initialised). Parameters: `weight`, `bias`.
public final class Linear: Layer {
    public private(set) var weight: Tensor
    public private(set) var bias: Tensor?

    public init(_ inputSize: Int, _ outputSize: Int, bias: Bool = true,
                initializer: WeightInitializer = .glorotUniform(), using rng: inout RandomGenerator) {
        weight = initializer.matrix(fanIn: inputSize, fanOut: outputSize, using: &rng).asParameter()
        self.bias = bias ? Tensor.zeros([outputSize]).asParameter() : nil
    }

    public var inputSize: Int { weight.shape[0] }
    public var outputSize: Int { weight.shape[1] }

    /// `x: [..., inputSize] → [..., outputSize]`.
    public func callAsFunction(_ x: Tensor) -> Tensor { Tensor.linear(x, weight, bias) }

    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        try body("weight", &weight)
        if var b = bias {
            try body("bias", &b)
            bias = b
        }
    }
}

/// Linear layers with an activation between them: `sizes = [4, 64, 64, 2]`
/// makes 4→64→64→2. Parameters are named by layer index: `0.weight`,
/// `0.bias`, `1.weight`, …
public final class MLP: Layer {
    public let layers: [Linear]
    public let activation: Activation
    public let outputActivation: Activation

    /// - Parameters:
    ///   - initializer: for hidden layers.
    ///   - outputInitializer: for the last layer (defaults to `initializer`).
    public init(sizes: [Int], activation: Activation = .tanh, outputActivation: Activation = .identity,
                initializer: WeightInitializer = .glorotUniform(), outputInitializer: WeightInitializer? = nil,
                using rng: inout RandomGenerator) {
        require(sizes.count >= 2, "MLP needs at least input and output sizes, got \(sizes)")
        var layers: [Linear] = []
        for i in 0..<(sizes.count - 1) {
            let isLast = i == sizes.count - 2
            layers.append(Linear(sizes[i], sizes[i + 1],
                                 initializer: isLast ? (outputInitializer ?? initializer) : initializer, using: &rng))
        }
        self.layers = layers
        self.activation = activation
        self.outputActivation = outputActivation
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer(h)
            h = i == layers.count - 1 ? outputActivation(h) : activation(h)
        }
        return h
    }

    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        for (i, layer) in layers.enumerated() {
            try layer.visitParameters { name, tensor in try body("\(i).\(name)", &tensor) }
        }
    }
}
