import Foundation
import HerdTensor

extension ConvTorso {
    /// `[N, C·H·W]` → reshape to `[N, C, H, W]`, scale, convolutions with
    /// their activation, flatten to `[N, features]`.
    public func onnx(_ graph: inout ONNXGraph, _ x: String) -> String {
        var h = graph.node("Reshape", [x, graph.constant(int64: [-1] + imageShape, shape: [4])])
        if inputScale != 1 { h = graph.node("Mul", [h, graph.constant([inputScale], shape: [])]) }
        for layer in layers { h = activation.onnx(&graph, layer.onnx(&graph, h)) }
        return graph.node("Flatten", [h], [.int("axis", 1)])
    }
}

extension ActorCritic {
    /// What the network computes for `[N, n]` features `x`, as ONNX nodes:
    /// the policy head (`logits`, or a Gaussian's `mean` and `logStd`, each
    /// `[N, d]`) and the value `[N]` when `value` is asked for.
    public func onnx(_ graph: inout ONNXGraph, _ x: String, value wantsValue: Bool)
        -> (logits: String?, mean: String?, logStd: String?, value: String?) {
        let features = conv.map { $0.onnx(&graph, x) } ?? x
        let policyFeatures = policyTorso.map { $0.onnx(&graph, features) } ?? features
        let output = policyOutput.onnx(&graph, policyFeatures)
        var value: String?
        if wantsValue {
            let valueFeatures = settings.shared ? policyFeatures : (valueTorso.map { $0.onnx(&graph, features) } ?? features)
            value = graph.node("Squeeze", [valueOutput.onnx(&graph, valueFeatures), graph.constant(int64: [1], shape: [1])])
        }
        switch head {
        case .categorical:
            return (output, nil, nil, value)
        case let .gaussian(d):
            var mean = output
            if settings.standardDeviation != .learnedLogStd {
                mean = graph.node("Slice", [output, graph.constant(int64: [0], shape: [1]), graph.constant(int64: [d], shape: [1]),
                                            graph.constant(int64: [1], shape: [1])])
            }
            if settings.tanhMean { mean = graph.node("Tanh", [mean]) }
            let logStd: String
            if let parameter = self.logStd {
                // The state-independent log σ, repeated for each row.
                logStd = graph.node("Expand", [graph.constant(parameter.scalars, shape: [1, d]), graph.node("Shape", [mean])])
            } else {
                let raw = graph.node("Slice", [output, graph.constant(int64: [d], shape: [1]), graph.constant(int64: [2 * d], shape: [1]),
                                               graph.constant(int64: [1], shape: [1])])
                let std = graph.node("Add", [graph.node("Softplus", [graph.node("Add", [raw, graph.constant([stdOffset], shape: [])])]),
                                             graph.constant([1e-6], shape: [])])
                logStd = graph.node("Log", [std])
            }
            return (nil, mean, logStd, value)
        }
    }
}

extension SACActor {
    /// μ(s) and log σ(s), each `[N, d]`, as ONNX nodes (``callAsFunction(_:)``).
    public func onnx(_ graph: inout ONNXGraph, _ x: String) -> (mean: String, logStd: String) {
        let features = torso.map { $0.onnx(&graph, x) } ?? x
        let mean = meanHead.onnx(&graph, features)
        guard let sdeLogStd else {
            let logStd = graph.node("Clip", [logStdHead!.onnx(&graph, features), graph.constant([logStdMin], shape: []),
                                             graph.constant([logStdMax], shape: [])])
            return (mean, logStd)
        }
        // gSDE: log √(Σᵢ zᵢ² σᵢⱼ² + 1e-6), σ² = exp(2 log σ).
        let clipped = graph.node("Clip", [mean, graph.constant([-clipMean], shape: []), graph.constant([clipMean], shape: [])])
        let variance = graph.node("Add", [graph.node("MatMul", [graph.node("Mul", [features, features]),
                                                                graph.constant(sdeLogStd.scalars.map { Foundation.exp($0 * 2) },
                                                                               shape: sdeLogStd.shape)]),
                                          graph.constant([1e-6], shape: [])])
        return (clipped, graph.node("Mul", [graph.node("Log", [variance]), graph.constant([0.5], shape: [])]))
    }
}

extension R2D2Network {
    /// One step of the network for `[N, n]` observations, as ONNX nodes:
    /// with the previous action (`[N]` int64, −1 for none) and reward
    /// (`[N]`) when the config feeds them, and the recurrent state `[N, 2H]`
    /// (hidden, then cell; zeros at an episode's start) with an LSTM core.
    /// Returns Q `[N, A]` and the next state.
    public func onnx(_ graph: inout ONNXGraph, observation x: String, previousAction: String, previousReward: String,
                     state: String) -> (q: String, state: String?) {
        var features = conv.map { $0.onnx(&graph, x) } ?? x
        if let mlp { features = mlp.onnx(&graph, features) }
        var core = features
        if settings.previousInputs {
            // One-hot by comparison with 0…A−1, so that −1 (no previous action) is all zeros.
            let classes = graph.constant(int64: Array(0..<actions), shape: [1, actions])
            let column = graph.node("Unsqueeze", [previousAction, graph.constant(int64: [1], shape: [1])])
            let oneHot = graph.node("Cast", [graph.node("Equal", [column, classes])], [.int("to", ONNXGraph.ElementType.float.rawValue)])
            let reward = graph.node("Unsqueeze", [previousReward, graph.constant(int64: [1], shape: [1])])
            core = graph.node("Concat", [features, oneHot, reward], [.int("axis", 1)])
        }
        let hidden: String, next: String?
        if let lstm {
            let h = settings.lstmSize, cell = lstm.cell
            func slice(_ t: String, _ from: Int, _ to: Int) -> String {
                graph.node("Slice", [t, graph.constant(int64: [from], shape: [1]), graph.constant(int64: [to], shape: [1]),
                                     graph.constant(int64: [1], shape: [1])])
            }
            let previousHidden = slice(state, 0, h), previousCell = slice(state, h, 2 * h)
            let zx = graph.node("Gemm", [core, graph.constant(cell.inputWeight.scalars, shape: cell.inputWeight.shape),
                                         graph.constant(cell.bias.scalars, shape: cell.bias.shape)])
            let z = graph.node("Add", [zx, graph.node("MatMul", [previousHidden, graph.constant(cell.hiddenWeight.scalars,
                                                                                                  shape: cell.hiddenWeight.shape)])])
            let i = graph.node("Sigmoid", [slice(z, 0, h)]), f = graph.node("Sigmoid", [slice(z, h, 2 * h)])
            let g = graph.node("Tanh", [slice(z, 2 * h, 3 * h)]), o = graph.node("Sigmoid", [slice(z, 3 * h, 4 * h)])
            let c = graph.node("Add", [graph.node("Mul", [f, previousCell]), graph.node("Mul", [i, g])])
            hidden = graph.node("Mul", [o, graph.node("Tanh", [c])])
            next = graph.node("Concat", [hidden, c], [.int("axis", 1)])
        } else {
            hidden = graph.node("Relu", [feedForward!.onnx(&graph, core)])
            next = nil
        }
        let advantages = advantageHead.onnx(&graph, hidden)
        guard let valueHead else { return (advantages, next) }
        let centred = graph.node("Sub", [advantages, graph.node("ReduceMean", [advantages], [.ints("axes", [1]), .int("keepdims", 1)])])
        return (graph.node("Add", [valueHead.onnx(&graph, hidden), centred]), next)
    }
}

extension ActorCritic {
    /// The policy's path as dense layers with the activation after each,
    /// from the features to the head's output (`logits`, or the Gaussian's
    /// raw output), when the network has no convolutional torso; nil with one.
    /// For exporters that lay the network out themselves (`herd export --format c`).
    public var policyDenseLayers: [(layer: Linear, activation: Activation)]? {
        guard conv == nil else { return nil }
        var layers: [(Linear, Activation)] = []
        if let torso = policyTorso {
            for (i, layer) in torso.layers.enumerated() {
                layers.append((layer, i == torso.layers.count - 1 ? torso.outputActivation : torso.activation))
            }
        }
        layers.append((policyOutput, .identity))
        return layers
    }

    /// The state-independent log σ of a Gaussian policy, if it has one.
    public var stateIndependentLogStd: [Float]? { logStd?.scalars }
}
