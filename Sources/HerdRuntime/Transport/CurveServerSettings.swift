import HerdTransport

/// A CURVE server: the learner's key pair and the public keys it lets in.
public struct CurveServerSettings: Sendable {
    public var keys: CurveKeyPair
    public var authorizedKeys: Set<String>

    public init(keys: CurveKeyPair, authorizedKeys: Set<String>) {
        self.keys = keys
        self.authorizedKeys = authorizedKeys
    }
}
