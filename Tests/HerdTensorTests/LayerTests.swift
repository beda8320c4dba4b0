import Foundation
import HerdTensor
import HerdTestSupport
import XCTest

final class LayerTests: XCTestCase {
    func testLinear_gradientsAndNames() {
        var rng = RandomGenerator(seed: 1)
        let layer = Linear(3, 2, using: &rng)
        XCTAssertEqual(layer.namedParameters.map(\.name), ["weight", "bias"])
        checkGradients([randomTensor([4, 3], seed: 2)] + layer.parameters) { Tensor.linear($0[0], $0[1], $0[2]) }
    }

    func testMLP_namesShapesAndGradients() {
        var rng = RandomGenerator(seed: 3)
        let mlp = MLP(sizes: [4, 8, 8, 2], activation: .tanh, using: &rng)
        XCTAssertEqual(mlp.namedParameters(prefix: "policy").map(\.name),
                       ["policy.0.weight", "policy.0.bias", "policy.1.weight", "policy.1.bias", "policy.2.weight", "policy.2.bias"])
        XCTAssertEqual(mlp.parameterCount, 4 * 8 + 8 + 8 * 8 + 8 + 8 * 2 + 2)
        let x = randomTensor([5, 4], seed: 4)
        XCTAssertEqual(mlp(x).shape, [5, 2])
        // Gradient with respect to the input and every parameter through the whole network.
        checkGradients([x]) { mlp($0[0]) }
        let tape = GradientTape()
        let loss = tape.record { mlp(x).square().sum() }
        let grads = tape.gradients(of: loss, wrt: mlp.parameters)
        for (g, p) in zip(grads, mlp.parameters) { XCTAssertEqual(g.shape, p.shape) }
        checkGradients(mlp.parameters) { _ in mlp(x) }
    }

    func testLSTMCell_gradients_andForgetBiasOne() {
        var rng = RandomGenerator(seed: 5)
        let cell = LSTMCell(inputSize: 3, hiddenSize: 2, using: &rng)
        XCTAssertEqual(cell.bias.scalars, [0, 0, 1, 1, 0, 0, 0, 0])
        let x = randomTensor([2, 3], seed: 6), h = randomTensor([2, 2], seed: 7), c = randomTensor([2, 2], seed: 8)
        checkGradients([x, h, c]) { t in
            let s = cell(t[0], state: LSTMState(hidden: t[1], cell: t[2]))
            return Tensor.concat([s.hidden, s.cell], axis: 1)
        }
        checkGradients(cell.parameters) { _ in cell(x, state: LSTMState(hidden: h, cell: c)).hidden }
    }

    /// The cell against the equations written out by hand for one element.
    func testLSTMCell_matchesEquations() {
        var rng = RandomGenerator(seed: 9)
        let cell = LSTMCell(inputSize: 2, hiddenSize: 1, using: &rng)
        let x = Tensor([0.3, -0.7], shape: [1, 2]), h = Tensor([0.2], shape: [1, 1]), c = Tensor([-0.5], shape: [1, 1])
        let out = cell(x, state: LSTMState(hidden: h, cell: c))
        let wx = cell.inputWeight.scalars, wh = cell.hiddenWeight.scalars, bias = cell.bias.scalars
        func z(_ gate: Int) -> Float { 0.3 * wx[gate] - 0.7 * wx[4 + gate] + 0.2 * wh[gate] + bias[gate] }
        func sigma(_ v: Float) -> Float { 1 / (1 + Foundation.exp(-v)) }
        let newCell = sigma(z(1)) * -0.5 + sigma(z(0)) * Foundation.tanh(z(2))
        assertClose(out.cell.scalar, newCell, atol: 1e-6)
        assertClose(out.hidden.scalar, sigma(z(3)) * Foundation.tanh(newCell), atol: 1e-6)
    }

    func testLSTM_unrolledEqualsStepping_andResetsZeroTheState() throws {
        var rng = RandomGenerator(seed: 10)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, using: &rng)
        let sequence = randomTensor([5, 2, 3], seed: 11)
        let start = LSTMState(hidden: randomTensor([2, 4], seed: 12), cell: randomTensor([2, 4], seed: 13))
        var resets = [Float](repeating: 0, count: 10)
        resets[3 * 2 + 1] = 1  // environment 1 starts an episode at t = 3
        let (outputs, final) = lstm(sequence, state: start, resets: Tensor(resets, shape: [5, 2]))
        XCTAssertEqual(outputs.shape, [5, 2, 4])
        var state = start
        for t in 0..<5 {
            if t == 3 {
                let keep = Tensor([1, 0], shape: [2, 1])
                state = LSTMState(hidden: state.hidden * keep, cell: state.cell * keep)
            }
            state = lstm.cell(sequence.slice(axis: 0, t..<(t + 1)).reshaped([2, 3]), state: state)
            assertClose(outputs.slice(axis: 0, t..<(t + 1)).reshaped([2, 4]), state.hidden.scalars, atol: 1e-6)
        }
        assertClose(final.cell, state.cell.scalars, atol: 1e-6)
        checkGradients([sequence]) { lstm($0[0], state: start).outputs }
    }

    /// Cross-correlation written from the definition, for `x: [N, C, H, W]`.
    func directConvolution(_ x: Tensor, _ conv: Conv2D) -> [Float] {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (o, k) = (conv.weight.shape[0], conv.weight.shape[2])
        let (stride, padding) = (conv.stride, conv.padding)
        let outH = (h + 2 * padding - k) / stride + 1, outW = (w + 2 * padding - k) / stride + 1
        var expected: [Float] = []
        for image in 0..<n { for out in 0..<o { for oy in 0..<outH { for ox in 0..<outW {
            var s = conv.bias.scalars[out]
            for ch in 0..<c { for ky in 0..<k { for kx in 0..<k {
                let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                if iy >= 0, iy < h, ix >= 0, ix < w { s += conv.weight[out, ch, ky, kx] * x[image, ch, iy, ix] }
            } } }
            expected.append(s)
        } } } }
        return expected
    }

    /// Every kernel, stride, padding and channel change the torsos use
    /// (Nature DQN: 8/4, 4/2, 3/1 unpadded; MinAtar: 3/1 unpadded; Catch:
    /// 3/1 "same"), plus padded strides, against the definition and by
    /// finite differences.
    func testConv2D_matchesDirectConvolution_andGradients() {
        var rng = RandomGenerator(seed: 14)
        let cases: [(c: Int, o: Int, k: Int, stride: Int, padding: Int, h: Int, w: Int)] = [
            (2, 3, 3, 1, 0, 5, 4), (2, 3, 3, 2, 1, 5, 4), (2, 3, 3, 1, 1, 5, 4),
            (4, 3, 8, 4, 0, 20, 20), (3, 4, 4, 2, 0, 9, 9), (4, 2, 3, 1, 0, 7, 7), (4, 5, 3, 1, 0, 10, 10), (2, 2, 4, 2, 1, 7, 6),
        ]
        for (index, g) in cases.enumerated() {
            let conv = Conv2D(inChannels: g.c, outChannels: g.o, kernelSize: g.k, stride: g.stride, padding: g.padding, using: &rng)
            conv.bias.withUnsafeMutableBufferPointer { b in for i in 0..<b.count { b[i] = Float(i) * 0.1 } }
            let x = randomTensor([2, g.c, g.h, g.w], seed: UInt64(15 + index))
            let y = conv(x)
            let outH = (g.h + 2 * g.padding - g.k) / g.stride + 1, outW = (g.w + 2 * g.padding - g.k) / g.stride + 1
            XCTAssertEqual(y.shape, [2, g.o, outH, outW], "case \(g)")
            assertClose(y, directConvolution(x, conv), atol: 1e-5, "case \(g)")
            checkGradients([x] + conv.parameters) { Tensor.conv2d($0[0], $0[1], $0[2], stride: g.stride, padding: g.padding) }
        }
    }

    /// Worked by hand: a 3×3 image, one 2×2 kernel, stride 1, no padding.
    ///     x = 1 2 3      w = 1  0      y = 1·1 + 5·(−1) + b = −4 + b, …
    ///         4 5 6          0 −1
    ///         7 8 9
    /// Every output is x[i][j] − x[i+1][j+1] + b = −4 + b; with b = 0.5 each
    /// is −3.5. For L = Σy: dL/dw = Σ of each kernel cell's inputs
    /// (1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9) = (12, 16, 24, 28), dL/db = 4,
    /// and dL/dx counts how often each pixel meets +1 minus −1.
    func testConv2D_handComputedCase() {
        var rng = RandomGenerator(seed: 1)
        let conv = Conv2D(inChannels: 1, outChannels: 1, kernelSize: 2, using: &rng)
        conv.weight.withUnsafeMutableBufferPointer { w in (w[0], w[1], w[2], w[3]) = (1, 0, 0, -1) }
        conv.bias.withUnsafeMutableBufferPointer { $0[0] = 0.5 }
        let x = Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9]).reshaped([1, 1, 3, 3])
        x.requiresGradient = true
        let tape = GradientTape()
        let y = tape.record { conv(x) }
        XCTAssertEqual(y.scalars, [-3.5, -3.5, -3.5, -3.5])
        let grads = tape.gradients(of: tape.record { y.sum() }, wrt: [conv.weight, conv.bias, x])
        XCTAssertEqual(grads[0].scalars, [12, 16, 24, 28])
        XCTAssertEqual(grads[1].scalars, [4])
        XCTAssertEqual(grads[2].scalars, [1, 1, 0, 1, 0, -1, 0, -1, -1])
    }

    /// A network's input does not take part in the tape: the convolution
    /// then skips its input gradient, and the parameters' gradients are the
    /// same as when it does.
    func testConv2D_inputOutsideTheTape_sameParameterGradients() {
        var rng = RandomGenerator(seed: 3)
        let conv = Conv2D(inChannels: 4, outChannels: 3, kernelSize: 8, stride: 4, using: &rng)
        let x = randomTensor([2, 4, 20, 20], seed: 4)
        func gradients(watchingInput: Bool) -> [[Float]] {
            let input = x.stopGradient()
            input.requiresGradient = watchingInput
            let tape = GradientTape()
            let loss = tape.record { conv(input).square().sum() }
            return tape.gradients(of: loss, wrt: conv.parameters).map(\.scalars)
        }
        XCTAssertEqual(gradients(watchingInput: false), gradients(watchingInput: true))
    }

    func testFlatten() {
        let x = randomTensor([2, 1, 10, 5])
        XCTAssertEqual(Flatten()(x).shape, [2, 50])
        checkGradients([x]) { Flatten()($0[0]) }
    }

    func testInitializers_orthogonalAndGlorot() {
        var rng = RandomGenerator(seed: 16)
        for (fanIn, fanOut) in [(8, 5), (5, 8), (6, 6)] {
            let w = WeightInitializer.orthogonal(gain: 2).matrix(fanIn: fanIn, fanOut: fanOut, using: &rng)
            // Orthonormal columns (fanIn ≥ fanOut) or rows, times the gain: WᵀW = 4I or WWᵀ = 4I.
            let gram = fanIn >= fanOut ? Tensor.matmul(w, w, transposeA: true) : Tensor.matmul(w, w, transposeB: true)
            let k = min(fanIn, fanOut)
            let identity4 = (0..<(k * k)).map { $0 / k == $0 % k ? Float(4) : 0 }
            assertClose(gram, identity4, atol: 1e-5)
        }
        let g = WeightInitializer.glorotUniform().matrix(fanIn: 30, fanOut: 20, using: &rng)
        let limit = Float((6.0 / 50).squareRoot())
        XCTAssertTrue(g.scalars.allSatisfy { Swift.abs($0) <= limit })
        XCTAssertGreaterThan(g.scalars.map { Swift.abs($0) }.max()!, 0.9 * limit, "should fill the range")
    }

    func testMoveAndCopyParameters() throws {
        var rng = RandomGenerator(seed: 17)
        let online = MLP(sizes: [2, 3, 1], using: &rng), target = MLP(sizes: [2, 3, 1], using: &rng)
        XCTAssertNotEqual(online.parameters[0].scalars, target.parameters[0].scalars)
        try target.copyParameters(from: online)
        for (a, b) in zip(online.parameters, target.parameters) { XCTAssertEqual(a.scalars, b.scalars) }
        XCTAssertThrowsError(try MLP(sizes: [2, 4, 1], using: &rng).copyParameters(from: online))
    }
}
