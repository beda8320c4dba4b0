extension Tensor {
    /// A differentiable op with a hand-written gradient.
    ///
    /// `forward` computes the output from `inputs` with recording off; on an
    /// active tape the op is recorded as one node whose gradient is
    /// `backward(inputs, output, outputGradient)`, which returns one gradient
    /// per input (`nil` for none), each of its input's shape. Use it where the
    /// composed ops would be unstable, as in the classic example:
    ///
    /// ```swift
    /// // log(1 + eˣ) with gradient 1 − 1/(1 + eˣ): finite at x = 100,
    /// // where differentiating the composition gives ∞/∞ = NaN.
    /// let y = Tensor.custom([x], forward: { ($0[0].exp() + 1).log() },
    ///                       backward: { x, _, g in [g * (1 - 1 / (1 + x[0].exp()))] })
    /// ```
    public static func custom(
        _ inputs: [Tensor],
        forward: ([Tensor]) -> Tensor,
        backward: @escaping (_ inputs: [Tensor], _ output: Tensor, _ outputGradient: Tensor) -> [Tensor?]
    ) -> Tensor {
        let output = withoutGradients { forward(inputs) }.stopGradient()
        if let tape = TapeContext.current {
            tape.record(inputs, output) { gradient in
                let grads = backward(inputs, output, gradient)
                require(grads.count == inputs.count,
                             "custom op backward returned \(grads.count) gradients for \(inputs.count) inputs")
                for (g, input) in zip(grads, inputs) {
                    if let g {
                        require(g.shape == input.shape,
                                     "custom op gradient of shape \(g.shape) for input of shape \(input.shape)")
                    }
                }
                return grads
            }
        }
        return output
    }
}
