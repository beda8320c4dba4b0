import Foundation
import HerdTensor
import HerdTestSupport
import XCTest

/// The README's example, verbatim but for the output path: it must compile,
/// run, and write a checkpoint that loads back.
final class ReadmeExampleTests: XCTestCase {
    func testReadmeExample() throws {
        let path = try temporaryDirectory().appendingPathComponent("policy.safetensors").path

        var rng = RandomGenerator(seed: 0)
        let policy = MLP(sizes: [4, 64, 64, 2], activation: .tanh,
                         initializer: .orthogonal(gain: Float(2).squareRoot()), outputInitializer: .orthogonal(gain: 0.01),
                         using: &rng)
        let optimizer = Adam(policy.namedParameters(prefix: "policy"), learningRate: 3e-4)

        let observations = Tensor.randomNormal([256, 4], using: &rng)   // [B, 4]
        let actions = Categorical(logits: policy(observations)).sample(using: &rng)
        let tape = GradientTape()
        let loss = tape.record { -Categorical(logits: policy(observations)).logProbability(of: actions).mean() }
        let (gradients, norm) = clipByGlobalNorm(tape.gradients(of: loss, wrt: policy.parameters), maxNorm: 0.5)
        optimizer.step(gradients)
        try SafetensorsFile(tensors: policy.namedParameters(prefix: "policy"), metadata: ["norm": "\(norm)"])
            .write(to: URL(fileURLWithPath: path))

        let saved = try SafetensorsFile.read(from: URL(fileURLWithPath: path))
        XCTAssertEqual(saved.tensors.map(\.name), policy.namedParameters(prefix: "policy").map(\.name))
        XCTAssertEqual(saved["policy.2.weight"]?.scalars, policy.layers[2].weight.scalars)
        XCTAssertGreaterThan(norm, 0)
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        XCTAssertTrue(readme.contains("let loss = tape.record { -Categorical(logits: policy(observations)).logProbability(of: actions).mean() }"),
                      "README example and this test have drifted apart")
    }
}
