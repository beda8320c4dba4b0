import Foundation
import HerdTensor
import HerdTestSupport
import HerdTraining
import XCTest

final class RunFilesTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("herd-runfiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    /// The CRC-32C check value (RFC 3720, B.4): "123456789" → 0xE3069283.
    func testCRC32C_checkValueAndMask() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)  // RFC 3720 B.4: 32 zero bytes
        XCTAssertEqual(CRC32C.masked(0), 0xA282_EAD8)
    }

    func testEventFile_roundTripsScalarsAndSessionStart() throws {
        let writer = try EventFileWriter(directory: directory, resumingAt: 41, wallTime: 1000)
        try writer.addScalars([("loss/policy", -0.25), ("episode/return_mean", 123.5), ("skipped", .nan)], step: 42, wallTime: 1001)
        let events = try EventFileReader.read(writer.url)
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertTrue(events[1].sessionStart)
        XCTAssertEqual(events[1].step, 41)
        XCTAssertEqual(events[2].step, 42)
        XCTAssertEqual(events[2].wallTime, 1001)
        XCTAssertEqual(events[2].scalars, ["loss/policy": -0.25, "episode/return_mean": 123.5])
        XCTAssertTrue(writer.url.lastPathComponent.hasPrefix("events.out.tfevents.1000."))
    }

    func testEventFile_corruptionIsDetected() throws {
        let writer = try EventFileWriter(directory: directory, wallTime: 5)
        try writer.addScalars([("a", 1)], step: 1)
        var bytes = [UInt8](try Data(contentsOf: writer.url))
        bytes[bytes.count - 6] ^= 0x40
        try Data(bytes).write(to: writer.url)
        XCTAssertThrowsError(try EventFileReader.read(writer.url)) { error in
            XCTAssertTrue("\(error)".contains("CRC mismatch"), "\(error)")
        }
    }

    /// TensorBoard's own loader reads the file (needs the `tensorboard` package).
    func testEventFile_readByTensorBoard() throws {
        let python = try pythonWith(["tensorboard"])
        let writer = try EventFileWriter(directory: directory, wallTime: 100)
        for step in 1...3 { try writer.addScalars([("episode/return_mean", Double(step) * 10)], step: step * 100) }
        let script = """
        import sys
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
        ea = EventAccumulator(sys.argv[1]); ea.Reload()
        print(",".join(f"{e.step}:{e.value:g}" for e in ea.Scalars("episode/return_mean")))
        """
        let result = try runPython(python, script, [directory.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "100:10,200:20,300:30")
    }

    func testCheckpointStore_keepsNewestAndFallsBackPastDamage() throws {
        let store = CheckpointStore(directory: directory.appendingPathComponent("checkpoints"), keep: 2)
        for step in [10, 20, 30] {
            try store.save(SafetensorsFile(tensors: [("w", Tensor([Float(step)]))], metadata: ["step": "\(step)"]), step: step)
        }
        XCTAssertEqual(store.list().map(\.step), [20, 30])
        var newest = try store.loadNewest()
        XCTAssertEqual(newest.file.metadata["step"], "30")
        XCTAssertTrue(newest.skipped.isEmpty)
        // Truncate the newest: it is reported and the previous one is used.
        let handle = try FileHandle(forWritingTo: store.url(step: 30))
        try handle.truncate(atOffset: 20)
        try handle.close()
        newest = try store.loadNewest()
        XCTAssertEqual(newest.file.metadata["step"], "20")
        XCTAssertEqual(newest.skipped.map(\.url.lastPathComponent), ["step-000000000030.safetensors"])
        try Data("garbage".utf8).write(to: store.url(step: 20))
        XCTAssertThrowsError(try store.loadNewest()) { error in
            XCTAssertTrue("\(error)".contains("every checkpoint is damaged"), "\(error)")
        }
    }

    func testMetricsLog_resumeDropsLinesPastTheCheckpoint() throws {
        let url = directory.appendingPathComponent("metrics.jsonl")
        var log: MetricsLog? = try MetricsLog(url: url)
        for step in [100, 200, 300] {
            var r = MetricsRecord()
            r["step"] = Double(step)
            r["loss"] = 0.5
            r["missing"] = .nan
            try log!.append(r)
        }
        log = nil
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8).split(separator: "\n").first,
                       #"{"step":100,"loss":0.5,"missing":null}"#)
        log = try MetricsLog(url: url, keepingThrough: 200)
        var r = MetricsRecord()
        r["step"] = 250
        try log!.append(r)
        log = nil
        XCTAssertEqual(try MetricsLog.read(url).compactMap { $0["step"] }, [100, 200, 250])
    }

    func testLinePlot_ticksAndSVG() {
        XCTAssertEqual(LinePlot.ticks(0, 100_000), [0, 20_000, 40_000, 60_000, 80_000, 100_000])
        XCTAssertEqual(LinePlot.ticks(-1012, -150), [-1200, -1000, -800, -600, -400, -200, 0])
        let plot = LinePlot(title: "a < b", xLabel: "environment steps", yLabel: "mean episode return",
                            series: [.init(name: "run-1", points: [(0, 1), (10, 5)]), .init(name: "run-2", points: [(5, 2)])])
        let svg = plot.svg
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.contains("a &lt; b"))
        XCTAssertTrue(svg.contains(">run-1</text>") && svg.contains(">run-2</text>"))
        XCTAssertTrue(svg.contains("environment steps") && svg.contains("<polyline"))
    }

    /// Tick labels as people write them, decades on a log axis, seeds
    /// aggregated into a mean with a min–max band (a run missing a step
    /// interpolated there), and the legend beside the plot, not over it.
    func testLinePlot_labels_logTicks_bands_andALegendOutsideThePlot() throws {
        XCTAssertEqual([500, 1000, 1500, 20_000, 1_000_000, 2_500_000, 0.25, -2000].map(LinePlot.label),
                       ["500", "1k", "1.5k", "20k", "1M", "2.5M", "0.25", "-2k"])
        XCTAssertEqual(LinePlot.logTicks(1024, 1_000_000), [1000, 10_000, 100_000, 1_000_000])
        XCTAssertEqual(LinePlot.logTicks(2000, 50_000), [1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000])
        let mean = LinePlot.Series.aggregate([[(0, 0), (10, 10), (20, 20)], [(0, 2), (20, 0)]], name: "m")
        XCTAssertEqual(mean.points.map(\.y), [1, 5.5, 10], "the second run is 1 at step 10, halfway from 2 to 0")
        XCTAssertEqual(mean.band.map(\.low), [0, 1, 0])
        XCTAssertEqual(mean.band.map(\.high), [2, 10, 20])

        var plot = LinePlot(title: "t", xLabel: "environment steps", yLabel: "y",
                            series: [mean, .init(name: "a long series name", points: [(0, 1), (20, 5)])])
        plot.logX = true
        let svg = plot.svg
        XCTAssertEqual(svg.components(separatedBy: "<polygon").count - 1, 1)
        XCTAssertTrue(svg.contains("(log scale)"))
        // The plot's frame ends where the legend begins.
        let frame = try XCTUnwrap(svg.range(of: #"<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)""#, options: .regularExpression))
        let numbers = svg[frame].split(separator: "\"").compactMap { Double($0) }
        let plotRight = numbers[0] + numbers[2]
        let legendText = try XCTUnwrap(svg.range(of: #"<text x="([0-9.]+)" y="[0-9.]+">a long series name"#, options: .regularExpression))
        let legendX = try XCTUnwrap(svg[legendText].split(separator: "\"").compactMap { Double($0) }.first)
        XCTAssertGreaterThan(legendX, plotRight, "the legend is right of the plot")
        // Nine series: the ninth repeats the first colour, dashed.
        let nine = LinePlot(title: "t", xLabel: "x", yLabel: "y", series: (0..<9).map { .init(name: "s\($0)", points: [(0, Double($0)), (1, 1)]) })
        XCTAssertEqual(nine.svg.components(separatedBy: "stroke-dasharray").count - 1, 2, "the ninth line and its legend entry")
    }

    /// A checkpoint's format names its agent; a config inside that names
    /// another is refused with a reason, not a trap.
    func testCheckpointConfig_agentMustMatchTheFormat() throws {
        var config = TrainConfig()
        config.name = "mixed"
        let file = SafetensorsFile(tensors: [], metadata: ["herd.format": SACAgent.checkpointFormat, "herd.config": ConfigCoder.yaml(config)])
        XCTAssertThrowsError(try Checkpoint.config(of: file, path: "x.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("agent sac") && "\(error)".contains("agent ppo"), "\(error)")
        }
        let good = SafetensorsFile(tensors: [], metadata: ["herd.format": PPOAgent.checkpointFormat, "herd.config": ConfigCoder.yaml(config)])
        XCTAssertEqual(try Checkpoint.config(of: good, path: "x.safetensors").agent.name, "ppo")
    }

    /// The progress line stops at 100% when whole iterations overshoot the
    /// total, and gives small returns the digits they need.
    func testProgressLine_capsTheShare_andKeepsSmallReturnsVisible() {
        let line = ProgressDisplay.line(step: 503_808, totalSteps: 500_000, stepsPerSecond: 1000, meanReturn: 0.045, elapsed: 10)
        XCTAssertTrue(line.hasPrefix("step 503808/500000 (100%)"), line)
        XCTAssertTrue(line.contains("return 0.045"), line)
        XCTAssertTrue(ProgressDisplay.line(step: 1, totalSteps: 2, stepsPerSecond: 1, meanReturn: 195.84, elapsed: 1).contains("return 195.8"))
        XCTAssertTrue(ProgressDisplay.line(step: 1, totalSteps: 2, stepsPerSecond: 1, meanReturn: -4.968, elapsed: 1).contains("return -4.97"))
    }

    /// `--seeds` lists and the statistics across seeds. The interquartile
    /// mean drops ⌊n/4⌋ values at each end, as
    /// `scipy.stats.trim_mean(x, 0.25)`: [1, 2, 3, 4, 100] → 3, and for
    /// eight values [1…7, 50] → mean of 3…6 = 4.5.
    func testSeedTable_parsesSeeds_andSummarisesAcrossThem() throws {
        XCTAssertEqual(SeedTable.parseSeeds("0-4"), [0, 1, 2, 3, 4])
        XCTAssertEqual(SeedTable.parseSeeds("0,3,7"), [0, 3, 7])
        XCTAssertEqual(SeedTable.parseSeeds("0-2,5,1"), [0, 1, 2, 5])
        for bad in ["", "a", "3-1", "-1", "1-", "1,,2"] { XCTAssertNil(SeedTable.parseSeeds(bad), bad) }
        let five = try XCTUnwrap(SeedTable.statistics([4, 1, 100, 3, 2]))
        XCTAssertEqual(five.iqm, 3)
        XCTAssertEqual(five.mean, 22)
        XCTAssertEqual(five.min, 1)
        XCTAssertEqual(five.max, 100)
        XCTAssertEqual(five.std, (([4, 1, 100, 3, 2] as [Double]).reduce(0) { $0 + ($1 - 22) * ($1 - 22) } / 5).squareRoot())
        XCTAssertEqual(SeedTable.statistics([1, 2, 3, 4, 5, 6, 7, 50])?.iqm, 4.5)
        XCTAssertEqual(SeedTable.statistics([7])?.iqm, 7)
        XCTAssertNil(SeedTable.statistics([]))
    }
}
