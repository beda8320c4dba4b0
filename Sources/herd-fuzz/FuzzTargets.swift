import Foundation
import HerdRuntime
import HerdTraining
import HerdTransport

/// The code the fuzzers drive: each input must be accepted or rejected
/// with the component's own error; anything else (a crash, a trap, another
/// error type) is a finding. Shared by the libFuzzer build and the replayer.
enum FuzzTarget: String, CaseIterable {
    /// `WireCodec.decode` on one frame, then the pool's check of what the
    /// numbers in decoded results mean (``ProcessPool/valueProblem(_:bounds:)``,
    /// without bounds and within [-1, 1]).
    case codec
    /// `ConfigCoder.read` of a `TrainConfig` from YAML text.
    case config

    /// Runs one input; returns a description of a finding, or nil.
    func run(_ bytes: UnsafeRawBufferPointer) -> String? {
        switch self {
        case .codec:
            do {
                let (message, sequence) = try WireCodec.decode(bytes)
                // Results that decode are then judged on their values; that must not trap.
                if case let .results(results) = message {
                    _ = ProcessPool.valueProblem(results)
                    let size = Int(results.observationSize)
                    _ = ProcessPool.valueProblem(results, bounds: ObservationBounds(low: Array(repeating: -1, count: size), high: Array(repeating: 1, count: size)))
                }
                // What decodes must encode back to the same bytes.
                let again = WireCodec.encode(message, sequence: sequence)
                return again.elementsEqual(bytes) ? nil : "a decoded frame re-encodes differently"
            } catch is ProtocolError {
                return nil
            } catch {
                return "decode threw \(type(of: error)): \(error)"
            }
        case .config:
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                let config = try ConfigCoder.read(TrainConfig.self, yaml: text, file: "fuzz.yaml", defaults: TrainConfig())
                // What loads must write out and load back to the same config.
                let again = try ConfigCoder.read(TrainConfig.self, yaml: ConfigCoder.yaml(config), file: "fuzz-again.yaml", defaults: TrainConfig())
                return again == config ? nil : "a loaded config does not survive writing and reading back"
            } catch is ConfigError {
                return nil
            } catch {
                return "read threw \(type(of: error)): \(error)"
            }
        }
    }
}

/// One valid frame of every kind: the codec fuzzer's starting corpus.
let codecSeeds: [WireMessage] = [
    .hello(Hello(capacity: 64, pid: 4242, label: "host:4242")),
    .assign(Assign(workerIndex: 3, firstEnvironmentID: 192, environment: "CartPole-v1", settingsJSON: #"{"length":5}"#, seeds: [1, .max, 0])),
    .ready(Ready(environmentCount: 3, observationSize: 50, actionSize: 1, actionKind: 0, discreteActions: 3, observationShape: [1, 10, 5])),
    .reset,
    .actions(Actions(environmentCount: 2, actionSize: 2, values: [0.5, -1, 3, -0.0])),
    .results(Results(environmentCount: 2, observationSize: 3, observations: [1, 2, 3, 4, 5, 6], rewards: [1, -0.5],
                     terminated: [true, false], truncated: [false, true],
                     finalObservations: [FinalObservation(index: 0, observation: [7, 8, 9])])),
    .heartbeat,
    .goodbye,
    .error(WireError(code: .limitExceeded, message: "over a limit")),
    // Protocol v2's dtypes.
    .assign(Assign(workerIndex: 0, firstEnvironmentID: 0, environment: "Pendulum-v1", settingsJSON: "{}", seeds: [3], observationEncoding: .bf16)),
    .ready(Ready(environmentCount: 2, observationSize: 400, actionSize: 1, actionKind: 0, discreteActions: 6,
                 observationShape: [4, 10, 10], observationDType: .u8)),
    .results(Results(environmentCount: 2, observationSize: 4, observations: ObservationBlock([0, 1, 1, 0, 255, 3, 0, 1], as: .u8),
                     rewards: [0, 1], terminated: [false, true], truncated: [false, false],
                     finalObservations: [FinalObservation(index: 1, observation: ObservationBlock([1, 1, 1, 1], as: .u8))])),
    .results(Results(environmentCount: 1, observationSize: 3, observations: ObservationBlock([0.5, -2, 1e-3], as: .bf16),
                     rewards: [-1], terminated: [false], truncated: [true],
                     finalObservations: [FinalObservation(index: 0, observation: ObservationBlock([1, 2, 3], as: .bf16))])),
    .frame(RenderedFrame(index: 0, height: 2, width: 2, pixels: Array(0..<12))),
    // A ready that declares its bounds (some infinite).
    .ready(Ready(environmentCount: 2, observationSize: 3, actionSize: 1, actionKind: 0, discreteActions: 2, observationShape: [3],
                 observationBounds: ObservationBounds(low: [-1, -.infinity, 0], high: [1, .infinity, 0]))),
    // Well-formed, with numbers the pool refuses (a bad frame, not a crash).
    .results(Results(environmentCount: 2, observationSize: 1, observations: [.nan, .infinity], rewards: [.nan, 1e39],
                     terminated: [true, false], truncated: [false, false],
                     finalObservations: [FinalObservation(index: 0, observation: [-.infinity])])),
]
