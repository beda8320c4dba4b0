// swift-tools-version:6.0
import PackageDescription


// Hot numeric code is built with whole-module optimisation in release builds
// (SwiftPM's default for `-c release`); bounds checks stay on everywhere except
// inside the kernels, which use unsafe pointers explicitly.
let languageModes: [SwiftLanguageMode] = [.v5]

// The tensor kernels are compiled for the building machine's CPU by the
// build scripts, which pass `-Xcc -march=native` (scripts/swift_flags.sh;
// HERD_MARCH picks another target). The manifest carries no unsafe flags,
// so other packages can depend on Herd's libraries by version.

let package = Package(
    name: "Herd",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "herd", targets: ["herd"]),
        .library(name: "HerdTensor", targets: ["HerdTensor"]),
        .library(name: "HerdEnvironments", targets: ["HerdEnvironments"]),
        .library(name: "HerdAgents", targets: ["HerdAgents"]),
        .library(name: "HerdTraining", targets: ["HerdTraining"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // MARK: System libraries (the only targets that touch C headers)
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        // Header only: callgrind's client requests when valgrind's headers
        // are installed, nothing otherwise (benchmarks/instructions.py).
        .systemLibrary(name: "CCallgrind"),

        // MARK: Libraries
        .target(name: "HerdCore"),
        .target(name: "HerdTensor", dependencies: ["COpenBLAS", "HerdCore"]),
        .target(name: "HerdEnvironments", dependencies: ["HerdCore"]),
        .target(name: "HerdTransport", dependencies: ["CZeroMQ"]),
        .target(name: "HerdAgents", dependencies: ["HerdTensor", "HerdCore"]),
        .target(name: "HerdRuntime", dependencies: ["HerdTransport", "HerdEnvironments", "HerdTensor", "HerdCore"]),
        .target(
            name: "HerdTraining",
            dependencies: [
                "HerdTensor", "HerdTransport", "HerdEnvironments", "HerdRuntime", "HerdAgents",
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        .target(name: "HerdBenchmarks", dependencies: ["CCallgrind", "HerdTraining", "HerdRuntime", "HerdAgents", "HerdTensor", "HerdEnvironments"]),

        // MARK: Executable
        .executableTarget(
            name: "herd",
            dependencies: [
                "HerdTraining", "HerdBenchmarks", "HerdRuntime", "HerdEnvironments", "HerdTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["RecordCommit"]
        ),
        // `herd --version` names the commit it was built from.
        .plugin(name: "RecordCommit", capability: .buildTool()),

        // MARK: Fuzzing
        // The fuzz targets (scripts/fuzz.sh builds them with -sanitize=fuzzer
        // -DFUZZING for libFuzzer; the ordinary build replays inputs).
        .executableTarget(name: "herd-fuzz", dependencies: ["HerdTraining", "HerdRuntime", "HerdTransport"]),

        // MARK: Tests
        .target(name: "HerdTestSupport", dependencies: ["HerdTensor", "HerdEnvironments", "HerdRuntime", "HerdTransport"], path: "Tests/HerdTestSupport"),
        .testTarget(name: "HerdTensorTests", dependencies: ["HerdTensor", "HerdTestSupport"]),
        .testTarget(name: "HerdEnvironmentsTests", dependencies: ["HerdEnvironments", "HerdTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "HerdRuntimeTests", dependencies: ["HerdRuntime", "HerdTransport", "HerdTestSupport"]),
        .testTarget(name: "HerdTransportTests", dependencies: ["HerdTransport", "HerdCore", "HerdTestSupport"]),
        .testTarget(name: "HerdAgentsTests", dependencies: ["HerdAgents", "HerdTestSupport"]),
        .testTarget(name: "HerdTrainingTests", dependencies: ["HerdTraining", "HerdTestSupport"]),
        .testTarget(name: "HerdBenchmarksTests", dependencies: ["HerdBenchmarks", "HerdTraining", "HerdTestSupport"]),
        .testTarget(name: "HerdCLITests", dependencies: ["HerdTestSupport", "HerdTraining", "HerdRuntime"]),
    ],
    swiftLanguageModes: languageModes
)
