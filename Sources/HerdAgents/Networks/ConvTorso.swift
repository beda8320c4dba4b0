import HerdCore
import HerdTensor

/// Convolutions over image observations, flattened: `[B, C·H·W]` (flat
/// observations, as the pool delivers them) → `[B, features]`. Each layer
/// is a convolution padded as the settings say (`same`: `k / 2`; `valid`:
/// none) with the settings' activation, orthogonally initialised with gain √2.
/// Observations are first multiplied by the settings' `inputScale` (1/255 for
/// byte frames). Parameters are named
/// `<layer>.weight`, `<layer>.bias`.
public final class ConvTorso: Layer {
    let layers: [Conv2D]
    let activation: Activation
    let inputScale: Float
    /// `[C, H, W]`.
    public let imageShape: [Int]
    public let outputSize: Int

    /// Why `settings`' convolutions cannot run on `observationShape`, or nil
    /// when they can (the initialiser requires that they can).
    public static func problem(observationShape: [Int], settings: NetworkSettings) -> String? {
        guard observationShape.count == 2 || observationShape.count == 3 else {
            return "convolutions need image observations [C, H, W]; this environment's are \(observationShape)"
        }
        let image = observationShape.count == 2 ? [1] + observationShape : observationShape
        // More channels than any frame stack, over a strip at most 4 wide:
        // height × width × channels sent as if channels came first.
        if image[0] > 16 && image[2] <= 4 {
            return "the observations \(observationShape) look like height × width × channels, and convolutions read [C, H, W]: "
                + "the Gymnasium bridge sends images channels first (environment.settings herd_image_layout: hwc); "
                + "another worker must send C × H × W"
        }
        var (height, width) = (image[1], image[2])
        for i in settings.convChannels.indices {
            let kernel = settings.convKernels[min(i, settings.convKernels.count - 1)]
            let stride = settings.convStrides[min(i, settings.convStrides.count - 1)]
            let padding = settings.convPadding.amount(kernel: kernel)
            guard height + 2 * padding >= kernel && width + 2 * padding >= kernel else {
                return "convolution \(i) (kernel \(kernel), stride \(stride)) is larger than its \(height)×\(width) input of \(image)"
            }
            height = (height + 2 * padding - kernel) / stride + 1
            width = (width + 2 * padding - kernel) / stride + 1
            if height <= 0 || width <= 0 { return "convolution \(i) (kernel \(kernel), stride \(stride)) leaves no pixels of \(image)" }
        }
        return nil
    }

    /// `observationShape` is `[C, H, W]`, or `[H, W]` for one channel.
    public init(observationShape: [Int], settings: NetworkSettings, using rng: inout RandomGenerator) {
        require(observationShape.count == 2 || observationShape.count == 3,
                "a convolutional torso needs image observations [C, H, W], got \(observationShape)")
        imageShape = observationShape.count == 2 ? [1] + observationShape : observationShape
        var (channels, height, width) = (imageShape[0], imageShape[1], imageShape[2])
        var layers: [Conv2D] = []
        for (i, out) in settings.convChannels.enumerated() {
            let kernel = settings.convKernels[min(i, settings.convKernels.count - 1)]
            let stride = settings.convStrides[min(i, settings.convStrides.count - 1)]
            let padding = settings.convPadding.amount(kernel: kernel)
            layers.append(Conv2D(inChannels: channels, outChannels: out, kernelSize: kernel, stride: stride, padding: padding,
                                 initializer: .orthogonal(gain: Float(2).squareRoot()), using: &rng))
            height = (height + 2 * padding - kernel) / stride + 1
            width = (width + 2 * padding - kernel) / stride + 1
            require(height > 0 && width > 0, "convolution \(i) leaves no pixels of \(imageShape)")
            channels = out
        }
        self.layers = layers
        activation = settings.activation
        inputScale = settings.inputScale
        outputSize = channels * height * width
    }

    public func callAsFunction(_ observations: Tensor) -> Tensor {
        var x = observations.reshaped([observations.shape[0]] + imageShape)
        if inputScale != 1 { x = x * inputScale }
        for layer in layers { x = activation(layer(x)) }
        return x.flattened()
    }

    public func visitParameters(_ body: (String, inout Tensor) throws -> Void) rethrows {
        for (i, layer) in layers.enumerated() {
            try layer.visitParameters { name, t in try body("\(i).\(name)", &t) }
        }
    }
}
