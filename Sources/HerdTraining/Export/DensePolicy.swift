import Foundation
import HerdAgents
import HerdEnvironments
import HerdTensor

/// A PPO or V-trace policy of dense layers, laid out for small runtimes
/// (`herd export --format c`, `herd eval --int8`): the observation
/// normaliser, the policy path's layers (weights `[in, out]` row-major) and
/// the deterministic action: the most likely class, or the Gaussian's mean
/// (tanh-squashed when the network squashes) mapped onto the action bounds.
///
/// **int8** (``quantized(calibration:)``): post-training quantisation with
/// the simulated device's int8 arithmetic (symmetric, `q = round(x / s)`
/// clamped to ±127, int32 accumulation, the product rescaled by the two
/// scales): each layer's weights with one scale per output unit
/// (`max |w| / 127` over its column), its input with one scale per tensor
/// fixed from calibration (`max |x| / 127` over on-policy observations). Biases,
/// activations, the normaliser and the head stay float. Rounding is half
/// away from zero, in Swift and in the C runtime alike.
///
/// Observations mix ranges (CartPole's angle spans ±0.2 rad, its velocities
/// ±3), and one scale for the whole observation would leave the angle a
/// handful of levels. So the first layer's inputs are equalised first
/// (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization
/// and Bias Correction", §4.1, applied to the input): input `i` is divided by
/// its calibrated `max |xᵢ|` and row `i` of the weights multiplied by it,
/// which leaves the float policy unchanged and lets the per-tensor scale
/// cover every input's range.
public struct DensePolicy {
    public struct Layer {
        public var inputs: Int
        public var outputs: Int
        /// `[inputs, outputs]`, row-major.
        public var weight: [Float]
        public var bias: [Float]
        public var activation: Activation
        /// int8: the weights as whole numbers in [−127, 127], a scale per output, the input's scale.
        public var quantizedWeight: [Int8]?
        public var weightScales: [Float]?
        public var inputScale: Float?
        /// int8, first layer: each input is multiplied by this before it is
        /// quantised, and the weights were divided by it (see ``DensePolicy``).
        public var inputEqualization: [Float]?
    }

    public enum Head {
        case categorical(classes: Int)
        /// Per dimension: whether it is bounded, and its bounds.
        case gaussian(dimension: Int, tanhMean: Bool, bounded: [Bool], low: [Float], high: [Float])
    }

    public var observationSize: Int
    /// `(x − mean) / divisor`, in double as Herd's normaliser computes it, then clipped.
    public var normalizerMean: [Double]?
    public var normalizerDivisor: [Double]?
    public var normalizerClip: Double?
    public var layers: [Layer]
    public var head: Head
    public var isQuantized: Bool { layers.first?.quantizedWeight != nil }

    /// The policy of `policy`, or an error saying why it has no dense form.
    public init(_ policy: ActorCriticPolicy, observationSize: Int) throws {
        guard let dense = policy.network.policyDenseLayers else {
            throw RunError.incompatible(path: "herd export", reason: "a convolutional torso has no C or int8 form yet (MLP policies only)")
        }
        self.observationSize = observationSize
        if let normalizer = policy.normalizer {
            (normalizerMean, normalizerDivisor) = normalizer.affine
            normalizerClip = normalizer.clip
        }
        var layers = dense.map { layer, activation in
            Layer(inputs: layer.inputSize, outputs: layer.outputSize, weight: layer.weight.scalars,
                  bias: layer.bias?.scalars ?? Array(repeating: 0, count: layer.outputSize), activation: activation)
        }
        switch policy.network.head {
        case let .categorical(classes):
            head = .categorical(classes: classes)
        case let .gaussian(d):
            // Acting needs the mean alone: the first d outputs (a state-dependent σ's are the rest).
            var last = layers[layers.count - 1]
            if last.outputs == 2 * d {
                last.weight = (0..<last.inputs).flatMap { i in last.weight[(i * 2 * d)..<(i * 2 * d + d)] }
                last.bias = Array(last.bias[0..<d])
                last.outputs = d
                layers[layers.count - 1] = last
            }
            let low = policy.mapping.low, high = policy.mapping.high
            let bounded = (0..<d).map { k in low.count == d && low[k].isFinite && high[k].isFinite }
            head = .gaussian(dimension: d, tanhMean: policy.network.settings.tanhMean, bounded: bounded,
                             low: low.count == d ? low : Array(repeating: 0, count: d), high: high.count == d ? high : Array(repeating: 0, count: d))
        }
        self.layers = layers
    }

    /// Values per action: 1 (the class index) or the Gaussian's dimension.
    public var actionSize: Int {
        if case let .gaussian(d, _, _, _, _) = head { return d }
        return 1
    }

    /// The widest layer, in values.
    var widest: Int { max(observationSize, layers.map { max($0.inputs, $0.outputs) }.max() ?? 0) }

    /// The normalised observation (the first layer's input).
    func normalized(_ observation: [Float]) -> [Float] {
        guard let mean = normalizerMean, let divisor = normalizerDivisor else { return observation }
        return observation.indices.map { i in
            var v = (Double(observation[i]) - mean[i]) / divisor[i]
            if let clip = normalizerClip { v = min(max(v, -clip), clip) }
            return Float(v)
        }
    }

    /// Each layer's input for `observation` (float arithmetic), for calibration.
    func layerInputs(_ observation: [Float]) -> [[Float]] {
        var x = normalized(observation), inputs: [[Float]] = []
        for layer in layers {
            inputs.append(x)
            x = Self.dense(layer, x, quantized: false)
        }
        return inputs
    }

    /// The deterministic action for one observation, in the environment's
    /// format, computed as the C runtime computes it (float, or int8 once quantised).
    public func act(_ observation: [Float]) -> [Float] {
        var x = normalized(observation)
        for layer in layers { x = Self.dense(layer, x, quantized: isQuantized) }
        switch head {
        case .categorical:
            var best = 0
            for j in x.indices where x[j] > x[best] { best = j }
            return [Float(best)]
        case let .gaussian(d, tanhMean, bounded, low, high):
            return (0..<d).map { k in
                let mean = tanhMean ? Foundation.tanh(x[k]) : x[k]
                guard bounded[k] else { return mean }
                let a = min(max(mean, -1), 1)
                return low[k] + (a + 1) * 0.5 * (high[k] - low[k])
            }
        }
    }

    /// One layer: `y = x·W + b` (float, summed in input order), or the int8
    /// product, then the activation.
    static func dense(_ layer: Layer, _ x: [Float], quantized: Bool) -> [Float] {
        var y = layer.bias
        if quantized, let q = layer.quantizedWeight, let scales = layer.weightScales, let s = layer.inputScale {
            let equalized = layer.inputEqualization.map { e in x.indices.map { x[$0] * e[$0] } } ?? x
            let qx = equalized.map { Int32(roundHalfAway($0 / s, limit: 127)) }
            for j in 0..<layer.outputs {
                var acc: Int32 = 0
                for i in 0..<layer.inputs { acc &+= qx[i] * Int32(q[i * layer.outputs + j]) }
                y[j] = Float(acc) * (s * scales[j]) + layer.bias[j]
            }
        } else {
            for j in 0..<layer.outputs {
                var acc = layer.bias[j]
                for i in 0..<layer.inputs { acc += x[i] * layer.weight[i * layer.outputs + j] }
                y[j] = acc
            }
        }
        return y.map { v in
            switch layer.activation {
            case .identity: return v
            case .tanh: return Foundation.tanh(v)
            case .relu: return v > 0 ? v : 0
            case .sigmoid: return 1 / (1 + Foundation.exp(-v))
            }
        }
    }

    /// `v` rounded half away from zero and clamped to ±`limit`.
    static func roundHalfAway(_ v: Float, limit: Float) -> Float {
        min(max(v.rounded(.toNearestOrAwayFromZero), -limit), limit)
    }

    /// The int8 policy: weights per output unit, each layer's input scale
    /// from the largest magnitude it meets on `calibration` (observations).
    public func quantized(calibration: [[Float]]) -> DensePolicy {
        precondition(!calibration.isEmpty, "int8 calibration needs observations")
        var largest = [Float](repeating: 0, count: layers.count)
        var perInput = [Float](repeating: 0, count: layers[0].inputs)
        for observation in calibration {
            for (l, input) in layerInputs(observation).enumerated() {
                largest[l] = max(largest[l], input.map(abs).max() ?? 0)
                if l == 0 { for i in input.indices { perInput[i] = max(perInput[i], abs(input[i])) } }
            }
        }
        var out = self
        // Equalise the first layer's inputs: xᵢ / rᵢ, row i of W times rᵢ.
        let ranges = perInput.map { $0 > 0 ? $0 : 1 }
        out.layers[0].inputEqualization = ranges.map { 1 / $0 }
        for i in 0..<out.layers[0].inputs {
            for j in 0..<out.layers[0].outputs { out.layers[0].weight[i * out.layers[0].outputs + j] *= ranges[i] }
        }
        largest[0] = calibration.reduce(0) { m, observation in
            let input = normalized(observation)
            return max(m, input.indices.map { abs(input[$0] * out.layers[0].inputEqualization![$0]) }.max() ?? 0)
        }
        for l in out.layers.indices {
            var layer = out.layers[l]
            let scales = (0..<layer.outputs).map { j -> Float in
                let m = (0..<layer.inputs).map { abs(layer.weight[$0 * layer.outputs + j]) }.max() ?? 0
                return m > 0 ? m / 127 : 1
            }
            layer.weightScales = scales
            layer.quantizedWeight = layer.weight.indices.map { Int8(Self.roundHalfAway(layer.weight[$0] / scales[$0 % layer.outputs], limit: 127)) }
            layer.inputScale = largest[l] > 0 ? largest[l] / 127 : 1
            out.layers[l] = layer
        }
        return out
    }

    /// Whether two of this policy's actions count as the same: the same
    /// class, or each continuous value within 1% of its dimension's range
    /// (of max(1, |value|) for an unbounded dimension).
    public func sameAction(_ a: [Float], _ b: [Float]) -> Bool {
        guard case let .gaussian(_, _, bounded, low, high) = head else { return a == b }
        return a.indices.allSatisfy { k in abs(a[k] - b[k]) <= 0.01 * (bounded[k] ? high[k] - low[k] : max(1, abs(a[k]))) }
    }

    /// Parameter bytes: float32 weights and biases, or int8 weights with
    /// float32 scales, biases and the first layer's equalisation.
    public var parameterBytes: Int {
        layers.reduce(0) { sum, layer in
            sum + (isQuantized ? layer.weight.count + 4 * (layer.outputs + 1) + 4 * (layer.inputEqualization?.count ?? 0)
                   : 4 * layer.weight.count) + 4 * layer.bias.count
        }
    }
}

/// A ``DensePolicy`` acting for ``Evaluator`` (`herd eval --int8`).
final class DensePolicyActing: ActingPolicy {
    let policy: DensePolicy
    init(_ policy: DensePolicy) { self.policy = policy }
    var actionSize: Int { policy.actionSize }
    func act(_ rows: ActingRows) throws -> [Float] {
        let n = rows.observationSize
        return (0..<rows.environments.count).flatMap { policy.act(Array(rows.observations[($0 * n)..<(($0 + 1) * n)])) }
    }
}

extension DensePolicy {
    /// The int8 policy as an ONNX model in QDQ form: each layer's input
    /// clipped to ±127 of its scale, `QuantizeLinear`/`DequantizeLinear`
    /// with that scale, int8 weights dequantised per output unit
    /// (`axis = 1`), then `Gemm`. Outputs `action` and the head's values
    /// (`logits`, or `mean` after any tanh), as the float export names them;
    /// no `value`. ONNX rounds half to even where Herd rounds half away from
    /// zero, so the two can differ on exact ties.
    public func onnxQDQ() -> ONNXGraph {
        precondition(isQuantized, "onnxQDQ needs a quantised policy")
        var g = ONNXGraph(name: "herd_int8_policy")
        let n = observationSize
        g.input("observation", shape: ["batch", .size(n)])
        var x = "observation"
        if let mean = normalizerMean, let divisor = normalizerDivisor {
            x = g.node("Div", [g.node("Sub", [x, g.constant(mean.map { Float($0) }, shape: [n])]),
                               g.constant(divisor.map { Float($0) }, shape: [n])])
            if let clip = normalizerClip {
                x = g.node("Clip", [x, g.constant([Float(-clip)], shape: []), g.constant([Float(clip)], shape: [])])
            }
        }
        for layer in layers {
            let s = layer.inputScale!, zero = g.constant(int8: [0], shape: [])
            let scale = g.constant([s], shape: [])
            if let e = layer.inputEqualization { x = g.node("Mul", [x, g.constant(e, shape: [layer.inputs])]) }
            let bounded = g.node("Clip", [x, g.constant([-127 * s], shape: []), g.constant([127 * s], shape: [])])
            let input = g.node("DequantizeLinear", [g.node("QuantizeLinear", [bounded, scale, zero]), scale, zero])
            let weight = g.node("DequantizeLinear", [g.constant(int8: layer.quantizedWeight!, shape: [layer.inputs, layer.outputs]),
                                                     g.constant(layer.weightScales!, shape: [layer.outputs]),
                                                     g.constant(int8: Array(repeating: 0, count: layer.outputs), shape: [layer.outputs])],
                                [.int("axis", 1)])
            x = layer.activation.onnx(&g, g.node("Gemm", [input, weight, g.constant(layer.bias, shape: [layer.outputs])]))
        }
        switch head {
        case let .categorical(classes):
            g.output(x, as: "logits", shape: ["batch", .size(classes)])
            g.output(g.node("ArgMax", [x], [.int("axis", 1), .int("keepdims", 0)]), as: "action", .int64, shape: ["batch"])
        case let .gaussian(d, tanhMean, bounded, low, high):
            let mean = tanhMean ? g.node("Tanh", [x]) : x
            g.output(mean, as: "mean", shape: ["batch", .size(d)])
            // The float export's mapping, with the unbounded dimensions' bounds infinite again.
            let mapping = ActionMapping(space: .box(low: (0..<d).map { bounded[$0] ? low[$0] : -.infinity },
                                                    high: (0..<d).map { bounded[$0] ? high[$0] : .infinity }, shape: [d]),
                                        head: .gaussian(dimension: d))
            g.output(mapping.onnx(&g, mean), as: "action", shape: ["batch", .size(d)])
        }
        return g
    }
}
