import Foundation
import HerdTensor
import HerdTestSupport
import XCTest

final class TensorOpsTests: XCTestCase {
    func testCreation() {
        XCTAssertEqual(Tensor.zeros([2, 3]).scalars, [Float](repeating: 0, count: 6))
        XCTAssertEqual(Tensor.full([2], 7).scalars, [7, 7])
        XCTAssertEqual(Tensor(3).shape, [])
        XCTAssertEqual(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])[1, 0], 4)
    }

    func testBroadcastShapes() {
        XCTAssertEqual(broadcastShape([3, 1, 5], [4, 5]), [3, 4, 5])
        XCTAssertEqual(broadcastShape([], [2, 2]), [2, 2])
        XCTAssertNil(broadcastShape([3], [4]))
    }

    func testBroadcastArithmetic_againstLoops() {
        let a = randomTensor([2, 3, 4], seed: 1), row = randomTensor([4], seed: 2), column = randomTensor([3, 1], seed: 3)
        let sum = a + row, product = a * column, middle = a - randomTensor([1, 3, 1], seed: 4)
        let mid = randomTensor([1, 3, 1], seed: 4)
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            XCTAssertEqual(sum[i, j, k], a[i, j, k] + row[k])
            XCTAssertEqual(product[i, j, k], a[i, j, k] * column[j, 0])
            XCTAssertEqual(middle[i, j, k], a[i, j, k] - mid[0, j, 0])
        } } }
        assertClose((2 / Tensor([4, 8])).scalars, [0.5, 0.25])
        assertClose((Tensor([1, 2]) - 1).scalars, [0, 1])
    }

    func testUnaryValues_againstFoundation() {
        let x = randomTensor([50], low: -4, high: 4, seed: 5)
        let xs = x.scalars
        assertClose(x.exp(), xs.map { Foundation.exp($0) }, rtol: 1e-6)
        assertClose(x.tanh(), xs.map { Foundation.tanh($0) }, atol: 5e-7)
        assertClose(x.sigmoid(), xs.map { 1 / (1 + Foundation.exp(-$0)) }, atol: 1e-7)
        assertClose(x.softplus(), xs.map { Foundation.log(1 + Foundation.exp($0)) }, atol: 1e-6)
        assertClose(x.relu(), xs.map { max($0, 0) })
        assertClose(x.abs(), xs.map { Swift.abs($0) })
        assertClose(x.clamped(-1, 2), xs.map { min(max($0, -1), 2) })
        let p = x.abs() + 0.1
        assertClose(p.log(), p.scalars.map { Foundation.log($0) })
        assertClose(p.sqrt(), p.scalars.map { $0.squareRoot() })
        assertClose(p.pow(1.5), p.scalars.map { Foundation.pow($0, 1.5) })
    }

    func testStableFunctions_atExtremes() {
        let x = Tensor([-1000, -50, 0, 50, 1000])
        XCTAssertEqual(x.sigmoid().scalars, [0, 1.9287499e-22, 0.5, 1, 1])
        XCTAssertEqual(x.softplus().scalars[4], 1000)
        XCTAssertEqual(x.softplus().scalars[0], 0)
        let logits = Tensor([1000, 0, -1000], shape: [1, 3])
        assertClose(logits.softmax(), [1, 0, 0])
        assertClose(logits.logSoftmax(), [0, -1000, -2000])
        assertClose(Tensor([1000, 1000]).logSumExp(), [1000 + Float(M_LN2)])
        XCTAssertEqual(Tensor([-Float.infinity, -Float.infinity]).logSumExp().scalar, -Float.infinity)
    }

    func testFastTanh_errorBound() {
        // Dense grid over [−10, 10] plus tiny values: absolute error ≤ 5e-7 against Double tanh.
        var worst: Double = 0
        for i in 0...200_000 {
            let x = Float(-10 + Double(i) * 1e-4)
            worst = max(worst, Swift.abs(Double(fastTanh(x)) - Foundation.tanh(Double(x))))
        }
        XCTAssertLessThan(worst, 5e-7)
        XCTAssertEqual(fastTanh(1e-20), 1e-20, accuracy: 1e-26)
        XCTAssertEqual(fastTanh(.infinity), 1, accuracy: 1e-7)
    }

    func testComparisonsAndWhere() {
        let a = Tensor([1, 5, 3]), b = Tensor([2, 5, 1])
        XCTAssertEqual((a .> b).scalars, [0, 0, 1])
        XCTAssertEqual((a .>= b).scalars, [0, 1, 1])
        XCTAssertEqual((a .== b).scalars, [0, 1, 0])
        XCTAssertEqual((a .< 3).scalars, [1, 0, 0])
        XCTAssertEqual(Tensor.where(a .> b, a, b).scalars, [2, 5, 3])
        XCTAssertEqual(Tensor.where(Tensor([1, 0], shape: [2, 1]), Tensor([9]), Tensor.zeros([2, 2])).scalars, [9, 9, 0, 0])
        XCTAssertEqual(Tensor.minimum(a, b).scalars, [1, 5, 1])
        XCTAssertEqual(Tensor.maximum(a, b).scalars, [2, 5, 3])
    }

    func testReductions_againstLoops() {
        let x = randomTensor([2, 3, 4], seed: 6)
        for axis in 0..<3 {
            let s = x.sum(axis: axis), m = x.max(axis: axis), l = x.logSumExp(axis: axis)
            var expectedSum: [Float] = [], expectedMax: [Float] = [], expectedLSE: [Float] = []
            let shape = [2, 3, 4]
            let others = (0..<3).filter { $0 != axis }
            for i in 0..<shape[others[0]] { for j in 0..<shape[others[1]] {
                var values: [Float] = []
                for k in 0..<shape[axis] {
                    var index = [0, 0, 0]
                    index[others[0]] = i; index[others[1]] = j; index[axis] = k
                    values.append(x[index[0], index[1], index[2]])
                }
                expectedSum.append(values.reduce(0, +))
                expectedMax.append(values.max()!)
                expectedLSE.append(Float(Foundation.log(values.map { Foundation.exp(Double($0)) }.reduce(0, +))))
            } }
            assertClose(s, expectedSum, atol: 1e-6)
            assertClose(m, expectedMax)
            assertClose(l, expectedLSE, atol: 1e-6)
        }
        XCTAssertEqual(x.mean(axis: 1, keepDims: true).shape, [2, 1, 4])
        assertClose(x.mean().scalar, x.scalars.reduce(0, +) / 24, atol: 1e-6)
    }

    func testSoftmax_rowsSumToOne_andAxis() {
        let x = randomTensor([3, 5], low: -5, high: 5, seed: 7)
        let s = x.softmax()
        for r in 0..<3 { assertClose((0..<5).map { s[r, $0] }.reduce(0, +), 1, atol: 1e-6) }
        assertClose(x.logSoftmax().exp(), s.scalars, atol: 1e-6)
        assertClose(x.softmax(axis: 0), x.T.softmax().T.scalars, atol: 1e-7)
    }

    func testMatmul_againstNaive() {
        let a = randomTensor([5, 7], seed: 8), b = randomTensor([7, 3], seed: 9)
        func naive(_ a: Tensor, _ b: Tensor) -> [Float] {
            var out: [Float] = []
            for i in 0..<a.shape[0] { for j in 0..<b.shape[1] {
                var s: Float = 0
                for k in 0..<a.shape[1] { s += a[i, k] * b[k, j] }
                out.append(s)
            } }
            return out
        }
        let expected = naive(a, b)
        assertClose(Tensor.matmul(a, b), expected, atol: 1e-5)
        assertClose(Tensor.matmul(a.T, b, transposeA: true), expected, atol: 1e-5)
        assertClose(Tensor.matmul(a, b.T, transposeB: true), expected, atol: 1e-5)
        assertClose(Tensor.matmul(a.T, b.T, transposeA: true, transposeB: true), expected, atol: 1e-5)
        let batched = Tensor.matmul(Tensor.stack([a, a * 2]), Tensor.stack([b, b]))
        assertClose(batched, expected + expected.map { $0 * 2 }, atol: 1e-5)
        let bias = Tensor([1, 2, 3])
        assertClose(Tensor.linear(a, b, bias), (0..<15).map { expected[$0] + Float($0 % 3 + 1) }, atol: 1e-5)
    }

    func testShapeOps() {
        let x = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        XCTAssertEqual(x.reshaped([4, -1]).shape, [4, 6])
        let t = x.transposed([2, 0, 1])
        XCTAssertEqual(t.shape, [4, 2, 3])
        XCTAssertEqual(t[3, 1, 2], x[1, 2, 3])
        XCTAssertEqual(x.slice(axis: 2, 1..<3).scalars, [1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22])
        let c = Tensor.concat([Tensor([1, 2], shape: [1, 2]), Tensor([3, 4, 5, 6], shape: [2, 2])], axis: 0)
        XCTAssertEqual(c.shape, [3, 2])
        XCTAssertEqual(c.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Tensor.stack([Tensor([1, 2]), Tensor([3, 4])], axis: 1).scalars, [1, 3, 2, 4])
        XCTAssertEqual(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3]).gather(lastAxis: [2, 0]).scalars, [3, 4])
        XCTAssertEqual(Tensor.oneHot([1, 0], depth: 3).scalars, [0, 1, 0, 1, 0, 0])
        XCTAssertEqual(Tensor([1, 2]).broadcasted(to: [2, 2]).scalars, [1, 2, 1, 2])
    }

    func testRandomGenerator_deterministicAndStreamsDiffer() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42)
        let xs = (0..<5).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<5).map { _ in b.next() })
        var s1 = RandomGenerator(seed: 42, stream: 1), s2 = RandomGenerator(seed: 42, stream: 2)
        XCTAssertNotEqual(s1.next(), s2.next())
        XCTAssertNotEqual(RandomGenerator(seed: 42, stream: 1).state, RandomGenerator(seed: 42).state)
        // Saved state resumes the same stream.
        var resumed = RandomGenerator(state: a.state)
        XCTAssertEqual(resumed.next(), a.next())
        // Normal draws: mean 0 and variance 1 within 4 standard errors for n = 20000.
        var rng = RandomGenerator(seed: 7)
        let n = 20_000
        let draws = (0..<n).map { _ in rng.nextNormal() }
        let mean = draws.reduce(0, +) / Double(n)
        let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0, accuracy: 4 / Double(n).squareRoot())
        XCTAssertEqual(variance, 1, accuracy: 4 * (2 / Double(n)).squareRoot())
        var c = RandomGenerator(seed: 11), d = RandomGenerator(seed: 11)
        XCTAssertEqual(Tensor.randomNormal([3], using: &c).scalars, Tensor.randomNormal([3], using: &d).scalars)
    }
}
