import Foundation

/// Adam (Kingma & Ba 2015, Algorithm 1) with bias correction and ε outside
/// the square root:
///
///     m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
///     θ ← θ − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
public final class Adam: OptimizerBase, Optimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    private var m: [Tensor] = []
    private var v: [Tensor] = []

    public init(_ parameters: [(name: String, tensor: Tensor)], learningRate: Float = 1e-3,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        require((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam betas must be in [0, 1)")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        super.init(parameters, learningRate: learningRate)
        m = addSlot("adam_m")
        v = addSlot("adam_v")
    }

    public func step(_ gradients: [Tensor]) {
        checkGradients(gradients)
        stepCount += 1
        let t = Double(stepCount)
        let c1 = Float(1 - Foundation.pow(Double(beta1), t)), c2 = Float(1 - Foundation.pow(Double(beta2), t))
        for (i, (p, g)) in zip(parameters.map(\.tensor), gradients).enumerated() {
            let (pp, pg, pm, pv) = (p.base, UnsafePointer(g.base), m[i].base, v[i].base)
            let (b1, b2, lr, eps) = (beta1, beta2, learningRate, epsilon)
            // Large buffers (a Nature DQN's dense layer has 1.6M weights) are
            // split across the BLAS threads; the update is elementwise, so
            // the result is the same.
            let parts = p.count >= 1 << 18 ? BLAS.threads : 1
            let chunk = ((p.count + parts - 1) / parts + 7) & ~7  // ⌈count / parts⌉, a multiple of 8: the chunks cover every element
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let start = part * chunk, count = min(chunk, p.count - start)
                guard count > 0 else { return }
                Self.update(count: count, parameter: pp + start, gradient: pg + start, m: pm + start, v: pv + start,
                            beta1: b1, beta2: b2, inverseCorrection1: 1 / c1, inverseCorrection2: 1 / c2,
                            learningRate: lr, epsilon: eps)
            }
        }
        charge(12, slotsTouched: 2)
    }

    /// The update over one buffer, eight lanes at a time (LLVM does not
    /// vectorise the scalar loop over four possibly-aliasing pointers; the
    /// explicit SIMD version is 2.5× faster), then the tail.
    private static func update(
        count: Int, parameter pp: UnsafeMutablePointer<Float>, gradient pg: UnsafePointer<Float>,
        m pm: UnsafeMutablePointer<Float>, v pv: UnsafeMutablePointer<Float>, beta1 b1: Float, beta2 b2: Float,
        inverseCorrection1 ic1: Float, inverseCorrection2 ic2: Float, learningRate lr: Float, epsilon eps: Float
    ) {
        typealias Lanes = SIMD8<Float>
        func load(_ p: UnsafePointer<Float>) -> Lanes { UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
        func store(_ value: Lanes, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: value, as: Lanes.self) }
        var j = 0
        while j + 8 <= count {
            let g = load(pg + j)
            let m = b1 * load(pm + j) + (1 - b1) * g
            let v = b2 * load(pv + j) + (1 - b2) * g * g
            store(m, pm + j)
            store(v, pv + j)
            store(load(pp + j) - lr * (m * ic1) / ((v * ic2).squareRoot() + eps), pp + j)
            j += 8
        }
        while j < count {
            let g = pg[j]
            let m = b1 * pm[j] + (1 - b1) * g, v = b2 * pv[j] + (1 - b2) * g * g
            pm[j] = m
            pv[j] = v
            pp[j] -= lr * (m * ic1) / ((v * ic2).squareRoot() + eps)
            j += 1
        }
    }
}

/// RMSProp (Hinton's lecture 6e) with optional momentum, in either of the two
/// forms in use:
///
/// - `epsilonInsideSqrt` (TensorFlow's `RMSPropOptimizer`, which IMPALA used
///   with decay 0.99, momentum 0, ε 0.1): `θ ← θ − η·g / √(ms + ε)`
/// - otherwise (PyTorch's `RMSprop`): `θ ← θ − η·g / (√ms + ε)`
///
/// with `ms ← ρ·ms + (1 − ρ)g²` and, when momentum μ > 0, the step going
/// through `mom ← μ·mom + step`. TensorFlow 1 started `ms` at 1, PyTorch at 0:
/// `initialMeanSquare` picks.
public final class RMSProp: OptimizerBase, Optimizer {
    public let decay: Float
    public let momentum: Float
    public let epsilon: Float
    public let epsilonInsideSqrt: Bool
    private var meanSquare: [Tensor] = []
    private var moment: [Tensor] = []

    public init(_ parameters: [(name: String, tensor: Tensor)], learningRate: Float, decay: Float = 0.99,
                momentum: Float = 0, epsilon: Float = 1e-8, epsilonInsideSqrt: Bool = false,
                initialMeanSquare: Float = 0) {
        self.decay = decay
        self.momentum = momentum
        self.epsilon = epsilon
        self.epsilonInsideSqrt = epsilonInsideSqrt
        super.init(parameters, learningRate: learningRate)
        meanSquare = addSlot("rmsprop_ms", value: initialMeanSquare)
        if momentum != 0 { moment = addSlot("rmsprop_mom") }
    }

    public func step(_ gradients: [Tensor]) {
        checkGradients(gradients)
        let (rho, mu, eps, lr, inside) = (decay, momentum, epsilon, learningRate, epsilonInsideSqrt)
        for (i, (p, g)) in zip(parameters.map(\.tensor), gradients).enumerated() {
            let pp = p.base, pg = g.base, ms = meanSquare[i].base
            let mom = mu != 0 ? moment[i].base : nil
            for j in 0..<p.count {
                let gj = pg[j]
                ms[j] = rho * ms[j] + (1 - rho) * gj * gj
                let denominator = inside ? (ms[j] + eps).squareRoot() : ms[j].squareRoot() + eps
                let update = lr * gj / denominator
                if let mom {
                    mom[j] = mu * mom[j] + update
                    pp[j] -= mom[j]
                } else {
                    pp[j] -= update
                }
            }
        }
        stepCount += 1
        charge(8, slotsTouched: mu == 0 ? 1 : 2)
    }
}
