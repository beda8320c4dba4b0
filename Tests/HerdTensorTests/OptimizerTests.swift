import HerdTensor
import HerdTestSupport
import XCTest

/// Expected values are worked by hand from each optimiser's update rule (in
/// the comments), not taken from the implementation.
final class OptimizerTests: XCTestCase {
    func parameter(_ values: [Float]) -> [(name: String, tensor: Tensor)] {
        let t = Tensor(values)
        t.requiresGradient = true
        return [("w", t)]
    }

    func testAdam_twoStepsByHand() {
        // Step 1: m = 0.1g, v = 0.001g², m̂ = g, v̂ = g² → θ −= 0.1·g/(|g| + 1e-8) ≈ 0.1·sign(g).
        // Step 2 (same g): m = 0.19g, v = 0.001999g² → m̂ = g, v̂ = g² again → another 0.1·sign(g).
        let p = parameter([1, -2])
        let adam = Adam(p, learningRate: 0.1)
        adam.step([Tensor([0.5, -1])])
        assertClose(p[0].tensor, [0.9, -1.9], atol: 1e-6)
        adam.step([Tensor([0.5, -1])])
        assertClose(p[0].tensor, [0.8, -1.8], atol: 1e-6)
        XCTAssertEqual(adam.stepCount, 2)
    }

    func testRMSProp_tensorFlowForm_epsilonInsideSqrt() {
        // TF1 RMSPropOptimizer as IMPALA used it: ms₀ = 1, ρ = 0.9, ε = 0.1 inside the root.
        // ms = 0.9·1 + 0.1·0.25 = 0.925;  θ = 1 − 0.01·0.5/√(0.925 + 0.1) = 0.99506135
        let p = parameter([1])
        let rms = RMSProp(p, learningRate: 0.01, decay: 0.9, epsilon: 0.1, epsilonInsideSqrt: true, initialMeanSquare: 1)
        rms.step([Tensor([0.5])])
        assertClose(p[0].tensor, [0.99506135], atol: 1e-7)
    }

    func testRMSProp_pyTorchForm_withMomentum() {
        // ms₀ = 0, ρ = 0.9, ε = 1e-8 outside, μ = 0.5, g = 0.5 twice:
        // 1: ms = 0.025, step = 0.005/√0.025 = 0.0316227766, mom = step → θ = 0.9683772234
        // 2: ms = 0.0475, step = 0.005/√0.0475 = 0.0229415734, mom = 0.5·0.0316227766 + 0.0229415734
        //    = 0.0387529617 → θ = 0.9296242617
        let p = parameter([1])
        let rms = RMSProp(p, learningRate: 0.01, decay: 0.9, momentum: 0.5, epsilon: 1e-8)
        rms.step([Tensor([0.5])])
        assertClose(p[0].tensor, [0.9683772234], atol: 1e-6)
        rms.step([Tensor([0.5])])
        assertClose(p[0].tensor, [0.9296242617], atol: 1e-6)
    }

    func testSGD_plainAndMomentum() {
        let plain = parameter([1])
        SGD(plain, learningRate: 0.1).step([Tensor([0.5])])
        assertClose(plain[0].tensor, [0.95])
        // v = 0.5 → θ = 0.95; v = 0.9·0.5 + 0.5 = 0.95 → θ = 0.855
        let p = parameter([1])
        let sgd = SGD(p, learningRate: 0.1, momentum: 0.9)
        sgd.step([Tensor([0.5])])
        sgd.step([Tensor([0.5])])
        assertClose(p[0].tensor, [0.855], atol: 1e-6)
    }

    func testClipByGlobalNorm() {
        let grads = [Tensor([3, 0]), Tensor([4])]  // global norm 5
        let (clipped, norm) = clipByGlobalNorm(grads, maxNorm: 1)
        XCTAssertEqual(norm, 5)
        assertClose(clipped[0], [0.6, 0])
        assertClose(clipped[1], [0.8])
        XCTAssertEqual(clipByGlobalNorm(grads, maxNorm: 10).gradients[0].scalars, [3, 0])
    }

    func testSchedules() {
        XCTAssertEqual(LearningRateSchedule.constant(3e-4).rate(at: 1000), 3e-4)
        let linear = LearningRateSchedule.linear(initial: 1, final: 0, steps: 10)
        XCTAssertEqual(linear.rate(at: 0), 1)
        XCTAssertEqual(linear.rate(at: 5), 0.5)
        XCTAssertEqual(linear.rate(at: 20), 0)
    }

    func testStateRoundTrip_continuesIdentically() throws {
        let p1 = parameter([1, 2]), p2 = parameter([1, 2])
        let a = Adam(p1, learningRate: 0.05), b = Adam(p2, learningRate: 0.05)
        a.step([Tensor([0.3, -0.2])])
        b.step([Tensor([0.3, -0.2])])
        let saved = Dictionary(uniqueKeysWithValues: a.stateTensors.map { ($0.name, $0.tensor.copy()) })
        XCTAssertEqual(Set(saved.keys), ["step", "adam_m/w", "adam_v/w"])
        let p3 = parameter(p1[0].tensor.scalars)
        let restored = Adam(p3, learningRate: 0.05)
        try restored.loadState(saved)
        XCTAssertEqual(restored.stepCount, 1)
        a.step([Tensor([0.1, 0.1])])
        restored.step([Tensor([0.1, 0.1])])
        XCTAssertEqual(p1[0].tensor.scalars, p3[0].tensor.scalars)
        XCTAssertThrowsError(try restored.loadState(["step": Tensor(1)])) { error in
            XCTAssertEqual("\(error)", "optimizer state: no tensor named 'adam_m/w'")
        }
    }

    /// A few hundred Adam steps fit a linear regression: the whole loop works.
    func testAdam_fitsLinearRegression() {
        var rng = RandomGenerator(seed: 1)
        let x = Tensor.randomNormal([64, 3], using: &rng)
        let y = Tensor.matmul(x, Tensor([1, -2, 0.5], shape: [3, 1])) + 0.3
        let layer = Linear(3, 1, using: &rng)
        let adam = Adam(layer.namedParameters, learningRate: 0.05)
        for _ in 0..<400 {
            let tape = GradientTape()
            let loss = tape.record { (layer(x) - y).square().mean() }
            adam.step(tape.gradients(of: loss, wrt: layer.parameters))
        }
        assertClose(layer.weight, [1, -2, 0.5], atol: 1e-3)
        assertClose(layer.bias!, [0.3], atol: 1e-3)
    }

    /// Adam splits a buffer of 2¹⁸ or more elements across the BLAS threads;
    /// every element is updated however the count divides (262,145 on two
    /// threads used to leave the last one untouched).
    func testAdam_splitAcrossThreads_updatesEveryElement() {
        let previous = BLAS.threads
        BLAS.setThreads(2)
        defer { BLAS.setThreads(previous) }
        for count in [262_144, 262_145, 262_151, 300_007] {
            let parameter = Tensor.zeros([count])
            parameter.requiresGradient = true
            let adam = Adam([("p", parameter)], learningRate: 0.1)
            adam.step([Tensor.full([count], 1)])
            let values = parameter.scalars
            XCTAssertEqual(values.filter { $0 == 0 }.count, 0, "\(count) elements: some were not updated")
            XCTAssertEqual(values.first, values.last)
        }
    }
}
