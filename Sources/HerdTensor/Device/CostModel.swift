/// What one kernel does, for the cost model.
public struct KernelCost: Equatable, Sendable {
    /// Useful floating-point operations (a multiply-add counts 2).
    public var flops: Double
    /// Bytes read from and written to device memory.
    public var bytes: Double
    /// For matrix products: the `m × k · k × n` shape, charged on the matrix unit.
    public var matmul: (m: Int, n: Int, k: Int)?

    public init(flops: Double, bytes: Double, matmul: (m: Int, n: Int, k: Int)? = nil) {
        self.flops = flops
        self.bytes = bytes
        self.matmul = matmul
    }

    /// A product of `[m, k]` and `[k, n]` (times `batch`), reading both
    /// operands once and writing the result once.
    public static func matmul(m: Int, n: Int, k: Int, batch: Int = 1) -> KernelCost {
        let b = Double(batch)
        return KernelCost(
            flops: 2 * Double(m) * Double(n) * Double(k) * b,
            bytes: 4 * b * Double(m * k + k * n + m * n),
            matmul: (m * batch, n, k))
    }

    /// An elementwise or reduction kernel.
    public static func vector(elements: Int, flopsPerElement: Double = 1, bytes: Int) -> KernelCost {
        KernelCost(flops: Double(elements) * flopsPerElement, bytes: Double(bytes))
    }

    public static func == (a: KernelCost, b: KernelCost) -> Bool {
        a.flops == b.flops && a.bytes == b.bytes
            && a.matmul?.m == b.matmul?.m && a.matmul?.n == b.matmul?.n && a.matmul?.k == b.matmul?.k
    }
}

/// The roofline cost model of a simulated accelerator.
///
/// A matrix product of `[m, k] · [k, n]` runs on a `R × C` matrix unit in
/// tiles: `m` is padded up to a multiple of `R`, `n` to a multiple of `C`, so
/// the unit does `2 · ⌈m/R⌉R · ⌈n/C⌉C · k` operations of which `2mnk` are
/// useful (a batch of 8 on a 256×256 unit uses 8/256 of it). Its time is
///
///     launch + max(padded ops / peak(precision), bytes / memory bandwidth)
///
/// Other kernels run on the vector unit: `launch + max(flops / vector peak,
/// bytes / bandwidth)`. This is the TPU paper's roofline (Jouppi et al. 2017,
/// §4) with a fixed per-kernel launch cost added.
public struct CostModel: Sendable {
    public let profile: DeviceProfile
    public let precision: Precision

    public init(profile: DeviceProfile, precision: Precision) {
        self.profile = profile
        self.precision = precision
    }

    /// Operations the matrix unit performs for the product, padding included.
    public func paddedOps(m: Int, n: Int, k: Int) -> Double {
        let rows = roundUp(m, profile.matrixUnitRows)
        let columns = roundUp(n, profile.matrixUnitColumns)
        return 2 * Double(rows) * Double(columns) * Double(k)
    }

    /// Useful fraction of the matrix unit for the product, in (0, 1].
    public func tileUtilization(m: Int, n: Int) -> Double {
        Double(m * n) / (Double(roundUp(m, profile.matrixUnitRows)) * Double(roundUp(n, profile.matrixUnitColumns)))
    }

    /// Simulated seconds for one kernel.
    public func seconds(for kernel: KernelCost) -> Double {
        let memorySeconds = kernel.bytes / profile.memoryBytesPerSecond
        let computeSeconds: Double
        if let shape = kernel.matmul {
            computeSeconds = paddedOps(m: shape.m, n: shape.n, k: shape.k) / matrixPeak
        } else {
            computeSeconds = kernel.flops / profile.peakVectorOpsPerSecond
        }
        return profile.launchLatencySeconds + max(computeSeconds, memorySeconds)
    }

    /// Seconds the kernel's useful operations alone take at the unit's peak
    /// (no padding, no launch, no memory stall): the numerator of utilisation.
    public func usefulSeconds(for kernel: KernelCost) -> Double {
        if kernel.matmul != nil { return kernel.flops / matrixPeak }
        return kernel.flops / profile.peakVectorOpsPerSecond
    }

    /// The matrix unit's rate at this precision; a precision the device lacks
    /// runs at the slowest rate it has.
    public var matrixPeak: Double {
        profile.peakMatrixOps(precision) ?? profile.peakMatrixOpsPerSecond.values.min() ?? 1
    }

    private func roundUp(_ value: Int, _ multiple: Int) -> Int {
        ((max(value, 1) + multiple - 1) / multiple) * multiple
    }
}

/// Counters a simulated device keeps. All are cumulative since the device was
/// made or last reset.
public struct DeviceCounters: Equatable, Sendable, Codable {
    /// Kernels launched.
    public var kernels = 0
    /// Useful floating-point operations.
    public var flops = 0.0
    /// Bytes read and written in device memory by kernels.
    public var memoryBytes = 0.0
    /// Simulated seconds the device was busy with kernels.
    public var busySeconds = 0.0
    /// Seconds the kernels' useful work alone would take at peak rate.
    public var usefulSeconds = 0.0
    /// Bytes copied host → device.
    public var bytesToDevice = 0
    /// Bytes copied device → host.
    public var bytesToHost = 0
    /// Host↔device copies.
    public var transfers = 0
    /// Simulated seconds spent on the link.
    public var transferSeconds = 0.0

    public init() {}

    /// Fraction of busy time the compute units did useful work:
    /// `Σ useful-time / busy time`, in [0, 1].
    public var utilization: Double { busySeconds > 0 ? min(1, usefulSeconds / busySeconds) : 0 }

    /// Simulated seconds in all: kernels plus transfers.
    public var totalSeconds: Double { busySeconds + transferSeconds }

    mutating func add(kernel: KernelCost, seconds: Double, usefulSeconds useful: Double) {
        kernels += 1
        flops += kernel.flops
        memoryBytes += kernel.bytes
        busySeconds += seconds
        usefulSeconds += useful
    }

    mutating func addTransfer(bytes: Int, seconds: Double, toDevice: Bool) {
        transfers += 1
        transferSeconds += seconds
        if toDevice { bytesToDevice += bytes } else { bytesToHost += bytes }
    }
}
