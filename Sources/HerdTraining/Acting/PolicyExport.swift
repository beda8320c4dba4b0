import Foundation
import HerdAgents
import HerdTensor

/// A trained policy that can be written as an ONNX graph (`herd export`).
public protocol ONNXExportable {
    /// The acting network as a graph: input `observation` `[batch, n]`
    /// (float32, the environment's values; byte images as 0…255), outputs
    /// `action` (the deterministic action in the environment's format), the
    /// distribution's parameters, and `value` `[batch]` when `value` is set.
    func onnx(observationSize: Int, value: Bool) -> ONNXGraph
}

extension ActorCriticPolicy: ONNXExportable {
    /// PPO's and V-trace's policy. The frozen observation normaliser is
    /// folded in (`(x − mean) / (std + 1e-8)`, clipped), and so is the
    /// mapping of Gaussian actions to the environment's bounds. Outputs:
    /// `action` (int64 `[batch]`, the most likely class) and `logits`
    /// `[batch, classes]`; or `action` `[batch, d]` (the mean mapped to the
    /// bounds), `mean` and `log_std` `[batch, d]` before that mapping.
    public func onnx(observationSize n: Int, value: Bool) -> ONNXGraph {
        var g = ONNXGraph(name: "herd_actor_critic")
        g.input("observation", shape: ["batch", .size(n)])
        var x = "observation"
        if let normalizer {
            let (mean, divisor) = normalizer.affine
            x = g.node("Mul", [g.node("Sub", [x, g.constant(mean.map { Float($0) }, shape: [n])]),
                               g.constant(divisor.map { Float(1 / $0) }, shape: [n])])
            if let clip = normalizer.clip {
                x = g.node("Clip", [x, g.constant([Float(-clip)], shape: []), g.constant([Float(clip)], shape: [])])
            }
        }
        let heads = network.onnx(&g, x, value: value)
        switch network.head {
        case let .categorical(classes):
            let logits = heads.logits!
            g.output(logits, as: "logits", shape: ["batch", .size(classes)])
            g.output(g.node("ArgMax", [logits], [.int("axis", 1), .int("keepdims", 0)]), as: "action", .int64, shape: ["batch"])
        case let .gaussian(d):
            let mean = heads.mean!
            g.output(mean, as: "mean", shape: ["batch", .size(d)])
            g.output(heads.logStd!, as: "log_std", shape: ["batch", .size(d)])
            g.output(mapping.onnx(&g, mean), as: "action", shape: ["batch", .size(d)])
        }
        if let v = heads.value { g.output(v, as: "value", shape: ["batch"]) }
        return g
    }
}

extension ActionMapping {
    /// ``environmentActions(_:)`` as nodes: bounded dimensions clipped to
    /// [−1, 1] and mapped onto [low, high], the others passed on.
    func onnx(_ g: inout ONNXGraph, _ mean: String) -> String {
        guard case let .gaussian(d) = head, low.count == d else { return mean }
        let bounded = (0..<d).map { low[$0].isFinite && high[$0].isFinite }
        guard bounded.contains(true) else { return mean }
        let lo = bounded.map { $0 ? Float(-1) : -.infinity }, hi = bounded.map { $0 ? Float(1) : .infinity }
        let scale = (0..<d).map { bounded[$0] ? (high[$0] - low[$0]) * 0.5 : 1 }
        let clipped = g.node("Min", [g.node("Max", [mean, g.constant(lo, shape: [d])]), g.constant(hi, shape: [d])])
        // low + (a + 1)·(high − low)/2, in the order Herd computes it.
        let shifted = g.node("Add", [clipped, g.constant(bounded.map { $0 ? 1 : 0 }, shape: [d])])
        let scaled = g.node("Mul", [shifted, g.constant(scale, shape: [d])])
        return g.node("Add", [g.constant((0..<d).map { bounded[$0] ? low[$0] : 0 }, shape: [d]), scaled])
    }
}

extension SACPolicy: ONNXExportable {
    /// SAC's actor. Outputs: `action` `[batch, d]`, `tanh(μ(s))` mapped onto
    /// the bounds (the deterministic action); `mean` (μ before the tanh) and
    /// `log_std`, `[batch, d]`. SAC has no state value, so `value` is never given.
    public func onnx(observationSize n: Int, value: Bool) -> ONNXGraph {
        var g = ONNXGraph(name: "herd_sac_actor")
        g.input("observation", shape: ["batch", .size(n)])
        let (mean, logStd) = actor.onnx(&g, "observation")
        let d = actor.actionSize
        g.output(mean, as: "mean", shape: ["batch", .size(d)])
        g.output(logStd, as: "log_std", shape: ["batch", .size(d)])
        g.output(mapping.onnx(&g, g.node("Tanh", [mean])), as: "action", shape: ["batch", .size(d)])
        return g
    }
}

extension QNetworkPolicy: ONNXExportable {
    /// R2D2's Q-network, one step at a time. Inputs: `observation`
    /// `[batch, n]`; `previous_action` int64 `[batch]` (−1 at an episode's
    /// start) and `previous_reward` `[batch]` (0 at a start); `state`
    /// `[batch, 2H]`, the LSTM's hidden then cell state (zeros at a start).
    /// Outputs: `q` `[batch, actions]`, `action` int64 `[batch]` (the
    /// greedy action; Herd's evaluation adds ε-greedy exploration on top),
    /// and `state_out`, the state for the next step. Inputs the config
    /// does not use (no previous inputs, a feed-forward core) are still
    /// declared and ignored, so that every R2D2 model is called alike.
    public func onnx(observationSize n: Int, value: Bool) -> ONNXGraph {
        var g = ONNXGraph(name: "herd_r2d2")
        let stateSize = max(network.stateSize, 1)
        g.input("observation", shape: ["batch", .size(n)])
        g.input("previous_action", .int64, shape: ["batch"])
        g.input("previous_reward", shape: ["batch"])
        g.input("state", shape: ["batch", .size(stateSize)])
        let (q, next) = network.onnx(&g, observation: "observation", previousAction: "previous_action",
                                     previousReward: "previous_reward", state: "state")
        g.output(q, as: "q", shape: ["batch", .size(network.actions)])
        g.output(g.node("ArgMax", [q], [.int("axis", 1), .int("keepdims", 0)]), as: "action", .int64, shape: ["batch"])
        g.output(next ?? "state", as: "state_out", shape: ["batch", .size(stateSize)])
        return g
    }
}
