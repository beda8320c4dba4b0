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
