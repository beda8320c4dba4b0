import Foundation
import HerdEnvironments
import HerdTestSupport
import XCTest

/// The built-in environments' pictures (`herd eval --record`): beside
/// Gymnasium's own `render_mode="rgb_array"` for the same physical state
/// where Gymnasium and pygame are installed, and by their layout otherwise.
final class RenderTests: XCTestCase {
    /// Environments, the actions that bring them to a state worth drawing.
    let classic: [(name: String, actions: [[Float]])] = [
        ("CartPole-v1", Array(repeating: [1], count: 12)),
        ("Acrobot-v1", Array(repeating: [2], count: 30)),
        ("MountainCar-v0", Array(repeating: [2], count: 40)),
        ("MountainCarContinuous-v0", Array(repeating: [1], count: 40)),
        ("Pendulum-v1", Array(repeating: [2], count: 10)),
    ]

    func testClassicControl_drawsAsGymnasiumDoes() throws {
        let python = try pythonWith(["gymnasium", "pygame", "numpy"])
        let script = repositoryRoot.appendingPathComponent("Tests/HerdEnvironmentsTests/Fixtures/gymnasium_render.py").path
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("herd-render-\(getpid()).raw")
        defer { try? FileManager.default.removeItem(at: out) }
        for (name, actions) in classic {
            let env = try EnvironmentRegistry.make(name)
            env.reset(seed: 3)
            for action in actions {
                let step = try env.step(action)
                if step.terminated || step.truncated { break }
            }
            let state = try XCTUnwrap(env.unwrapped as? PhysicalStateAccess).physicalState
            let image = try XCTUnwrap(env.renderedImage(), "\(name) draws")
            let result = try runPythonFile(python, script, [name, out.path] + state.map { "\($0)" })
            XCTAssertEqual(result.status, 0, result.stderr)
            let size = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
            XCTAssertEqual(size, [image.height, image.width], "\(name): Gymnasium's screen size")
            let reference = try [UInt8](Data(contentsOf: out))
            if let dump = ProcessInfo.processInfo.environment["HERD_RENDER_DUMP"] {
                try Data(image.pixels).write(to: URL(fileURLWithPath: "\(dump)/\(name)-herd.raw"))
                try Data(reference).write(to: URL(fileURLWithPath: "\(dump)/\(name)-gym.raw"))
            }
            XCTAssertEqual(reference.count, image.pixels.count)
            // Gymnasium antialiases edges and lines and Herd does not: nearly
            // every pixel agrees exactly, and every pixel either draws lies
            // within 2 pixels of one the other draws.
            let pixels = image.width * image.height
            var same = 0
            for i in 0..<pixels where image.pixels[(3 * i)..<(3 * i + 3)].elementsEqual(reference[(3 * i)..<(3 * i + 3)]) { same += 1 }
            XCTAssertGreaterThan(Double(same) / Double(pixels), 0.99, "\(name): \(pixels - same) of \(pixels) pixels differ")
            let ours = drawn(image.pixels, width: image.width), theirs = drawn(reference, width: image.width)
            XCTAssertEqual(strays(ours, from: theirs, width: image.width), 0, "\(name): pixels Herd draws far from Gymnasium's drawing")
            XCTAssertEqual(strays(theirs, from: ours, width: image.width), 0, "\(name): pixels Gymnasium draws far from Herd's drawing")
        }
    }

    /// Which pixels are not the white background.
    private func drawn(_ rgb: [UInt8], width: Int) -> [Bool] {
        (0..<(rgb.count / 3)).map { i in rgb[3 * i] != 255 || rgb[3 * i + 1] != 255 || rgb[3 * i + 2] != 255 }
    }

    /// Pixels of `mask` with no pixel of `other` within 2 pixels.
    private func strays(_ mask: [Bool], from other: [Bool], width: Int) -> Int {
        let height = mask.count / width
        var count = 0
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] {
                var near = false
                for dy in -2...2 where !near {
                    for dx in -2...2 where !near {
                        let (u, v) = (x + dx, y + dy)
                        if u >= 0, u < width, v >= 0, v < height, other[v * width + u] { near = true }
                    }
                }
                if !near { count += 1 }
            }
        }
        return count
    }

    func testCartPole_layout() throws {
        let env = CartPole()
        try env.setPhysicalState([1.2, 0, 0, 0])
        let image = env.render()
        XCTAssertEqual([image.width, image.height], [600, 400])
        // The cart's centre: x = 1.2 m × 125 px/m + 300, 100 px from the bottom.
        XCTAssertEqual(image.pixel(x: 450, y: 399 - 100), .black)
        XCTAssertEqual(image.pixel(x: 450, y: 399 - 200), RGB(202, 152, 101), "the upright pole")
        XCTAssertEqual(image.pixel(x: 100, y: 10), .white)
    }

    func testCatchAndMinAtar_drawTheirBoards() throws {
        let catchEnv = try EnvironmentRegistry.make("Catch-v0")
        catchEnv.reset(seed: 1)
        let board = try XCTUnwrap(catchEnv.renderedImage())
        XCTAssertEqual([board.width, board.height], [100, 200])
        let lit = (0..<(board.width * board.height)).filter { board.pixels[3 * $0] == 255 }.count
        XCTAssertEqual(lit, 2 * 400, "the ball and the paddle, 20 × 20 pixels each")

        for game in ["Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"] {
            let env = try EnvironmentRegistry.make("MinAtar/\(game)-v1")
            let observation = env.reset(seed: 5)
            let image = try XCTUnwrap(env.renderedImage())
            XCTAssertEqual([image.width, image.height], [160, 160])
            let channels = observation.count / 100
            let palette = MinAtarPalette.colors(channels)
            for y in 0..<10 {
                for x in 0..<10 {
                    let on = (0..<channels).last { observation[$0 * 100 + y * 10 + x] != 0 }
                    XCTAssertEqual(image.pixel(x: x * 16 + 8, y: y * 16 + 8), on.map { palette[$0] } ?? .black, "\(game) cell \(y), \(x)")
                }
            }
        }
    }

    /// matplotlib's `cubehelix` colormap at the inner points of 6 and 12
    /// evenly spaced ones, as seaborn's `color_palette("cubehelix", n)` takes
    /// them, rounded to bytes. Recorded with matplotlib 3.11.2:
    /// `[tuple(round(255 * c) for c in matplotlib.colormaps["cubehelix"](x)[:3]) for x in np.linspace(0, 1, n + 2)[1:-1]]`.
    /// matplotlib samples the map into a 256-entry table, hence a tolerance of 2.
    func testMinAtarPalette_isMatplotlibsCubehelix() {
        let four = [(22, 61, 78), (84, 121, 47), (208, 126, 147), (193, 202, 243)]
        let ten = [(25, 18, 43), (23, 52, 76), (24, 91, 72), (60, 118, 50), (126, 122, 54), (188, 121, 103), (212, 134, 175),
                   (202, 169, 231), (194, 210, 243), (214, 240, 239)]
        for reference in [four, ten] {
            for (ours, theirs) in zip(MinAtarPalette.colors(reference.count), reference) {
                XCTAssertEqual(Double(ours.r), Double(theirs.0), accuracy: 2)
                XCTAssertEqual(Double(ours.g), Double(theirs.1), accuracy: 2)
                XCTAssertEqual(Double(ours.b), Double(theirs.2), accuracy: 2)
            }
        }
    }
}
