/// Errors from ZeroMQ sockets. Each carries zmq's own message and, where
/// there is one, the endpoint.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    /// A zmq call failed: `operation` (e.g. `bind`), zmq's message, the endpoint.
    case zmq(operation: String, message: String, endpoint: String?)
    /// The context has been terminated; no more sockets.
    case closed

    public var description: String {
        switch self {
        case let .zmq(operation, message, endpoint):
            return "zmq \(operation)\(endpoint.map { " \($0)" } ?? "") failed: \(message)"
        case .closed:
            return "the ZeroMQ context is closed"
        }
    }
}
