/// Numerics for matrix products on a device.
public enum Precision: String, Codable, CaseIterable, Sendable {
    /// IEEE single precision throughout.
    case fp32
    /// Inputs rounded to bfloat16 (round to nearest, ties to even), products
    /// accumulated in fp32.
    case bf16
    /// Symmetric per-tensor int8 quantisation of both operands, int32-exact
    /// accumulation, fp32 rescale. For inference; gradients flow straight
    /// through in fp32.
    case int8
}

/// The figures of a simulated accelerator, loaded from `configs/devices/*.yaml`.
///
/// All rates are per second; sizes in bytes. The cost model uses them as a
/// roofline: a kernel takes `max(ops / peak, bytes / bandwidth)` plus the
/// launch latency, where a matrix product's ops are counted on tiles padded to
/// the matrix unit's shape.
public struct DeviceProfile: Codable, Equatable, Sendable {
    /// Short name, e.g. `tpu-v1`.
    public var name: String
    /// One line on where the figures come from.
    public var description: String
    /// On-device memory capacity in bytes.
    public var memoryBytes: Int
    /// Device memory bandwidth in bytes per second.
    public var memoryBytesPerSecond: Double
    /// Host↔device link bandwidth in bytes per second.
    public var linkBytesPerSecond: Double
    /// Fixed cost of one host↔device transfer, seconds.
    public var transferLatencySeconds: Double
    /// Fixed cost of launching one kernel, seconds.
    public var launchLatencySeconds: Double
    /// Rows of the matrix unit (the batch dimension `m` is padded to this).
    public var matrixUnitRows: Int
    /// Columns of the matrix unit (the output dimension `n` is padded to this).
    public var matrixUnitColumns: Int
    /// Peak matrix-unit operations per second (a multiply-add counts 2), by precision.
    /// A precision that is absent is not supported by the device.
    public var peakMatrixOpsPerSecond: [String: Double]
    /// Peak vector (elementwise) operations per second.
    public var peakVectorOpsPerSecond: Double
    /// Precision used when a run does not ask for one.
    public var defaultPrecision: Precision

    public init(
        name: String, description: String, memoryBytes: Int, memoryBytesPerSecond: Double,
        linkBytesPerSecond: Double, transferLatencySeconds: Double, launchLatencySeconds: Double,
        matrixUnitRows: Int, matrixUnitColumns: Int, peakMatrixOpsPerSecond: [String: Double],
        peakVectorOpsPerSecond: Double, defaultPrecision: Precision
    ) {
        self.name = name
        self.description = description
        self.memoryBytes = memoryBytes
        self.memoryBytesPerSecond = memoryBytesPerSecond
        self.linkBytesPerSecond = linkBytesPerSecond
        self.transferLatencySeconds = transferLatencySeconds
        self.launchLatencySeconds = launchLatencySeconds
        self.matrixUnitRows = matrixUnitRows
        self.matrixUnitColumns = matrixUnitColumns
        self.peakMatrixOpsPerSecond = peakMatrixOpsPerSecond
        self.peakVectorOpsPerSecond = peakVectorOpsPerSecond
        self.defaultPrecision = defaultPrecision
    }

    enum CodingKeys: String, CodingKey {
        case name, description
        case memoryBytes = "memory_bytes"
        case memoryBytesPerSecond = "memory_bytes_per_second"
        case linkBytesPerSecond = "link_bytes_per_second"
        case transferLatencySeconds = "transfer_latency_seconds"
        case launchLatencySeconds = "launch_latency_seconds"
        case matrixUnitRows = "matrix_unit_rows"
        case matrixUnitColumns = "matrix_unit_columns"
        case peakMatrixOpsPerSecond = "peak_matrix_ops_per_second"
        case peakVectorOpsPerSecond = "peak_vector_ops_per_second"
        case defaultPrecision = "default_precision"
    }

    /// Peak matrix rate at `precision`, or `nil` if the device lacks it.
    public func peakMatrixOps(_ precision: Precision) -> Double? {
        peakMatrixOpsPerSecond[precision.rawValue]
    }

    /// Checks that every figure is usable; throws a message naming the field.
    public func validate() throws {
        func positive(_ value: Double, _ key: String) throws {
            guard value.isFinite, value > 0 else {
                throw DeviceError.invalidProfile("\(name): \(key) must be a positive number, got \(value)")
            }
        }
        try positive(Double(memoryBytes), "memory_bytes")
        try positive(memoryBytesPerSecond, "memory_bytes_per_second")
        try positive(linkBytesPerSecond, "link_bytes_per_second")
        try positive(peakVectorOpsPerSecond, "peak_vector_ops_per_second")
        try positive(Double(matrixUnitRows), "matrix_unit_rows")
        try positive(Double(matrixUnitColumns), "matrix_unit_columns")
        guard transferLatencySeconds >= 0, launchLatencySeconds >= 0 else {
            throw DeviceError.invalidProfile("\(name): latencies must not be negative")
        }
        for (key, value) in peakMatrixOpsPerSecond {
            guard Precision(rawValue: key) != nil else {
                throw DeviceError.invalidProfile(
                    "\(name): peak_matrix_ops_per_second has unknown precision '\(key)' (known: fp32, bf16, int8)")
            }
            try positive(value, "peak_matrix_ops_per_second.\(key)")
        }
        guard peakMatrixOps(defaultPrecision) != nil else {
            throw DeviceError.invalidProfile(
                "\(name): default_precision \(defaultPrecision.rawValue) has no entry in peak_matrix_ops_per_second")
        }
    }
}
