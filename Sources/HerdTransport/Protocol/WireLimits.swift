/// Bounds every decoder enforces before allocating anything. A message over
/// a limit is rejected as malformed.
public struct WireLimits: Equatable, Sendable {
    /// Environments per worker.
    public var maxEnvironments: UInt32 = 65_536
    /// Floats per observation.
    public var maxObservationSize: UInt32 = 1 << 22
    /// Floats per action.
    public var maxActionSize: UInt32 = 4096
    /// Dimensions of an observation shape.
    public var maxRank: Int = 8
    /// Bytes of a label, environment name or error message.
    public var maxTextBytes: Int = 4096
    /// Bytes of a settings object.
    public var maxSettingsBytes: Int = 1 << 16
    /// Pixels along either side of a rendered frame.
    public var maxFrameSide: UInt32 = 8192
    /// Bytes of one message.
    public var maxMessageBytes: Int = 256 << 20

    public init() {}

    public static let standard = WireLimits()
}
