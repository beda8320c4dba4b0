import Foundation

/// An RGB picture, row-major from the top-left corner, 3 bytes per pixel.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0 && pixels.count == width * height * 3, "an RGB image is width × height × 3 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A `width × height` image filled with `color`.
    public init(width: Int, height: Int, color: RGB = .white) {
        var pixels = [UInt8](repeating: color.r, count: width * height * 3)
        if color.g != color.r || color.b != color.r {
            for i in 0..<(width * height) { (pixels[3 * i + 1], pixels[3 * i + 2]) = (color.g, color.b) }
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    public func pixel(x: Int, y: Int) -> RGB {
        let i = (y * width + x) * 3
        return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
    }
}

public struct RGB: Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { (self.r, self.g, self.b) = (r, g, b) }
    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
}

/// Environments that draw their state (`herd eval --record`). Built-in
/// environments draw as Gymnasium's `render_mode="rgb_array"` does (its
/// sizes, colours and shapes), without antialiasing.
public protocol RenderableEnvironment: Environment {
    func render() -> RGBImage
}

extension Environment {
    /// What the environment, or the one under its wrappers, draws
    /// (``RenderableEnvironment/render()``); `nil` when it does not draw.
    public func renderedImage() -> RGBImage? {
        var env: Environment = self
        while true {
            if let drawn = env as? RenderableEnvironment { return drawn.render() }
            guard let wrapper = env as? EnvironmentWrapper else { return nil }
            env = wrapper.inner
        }
    }
}

/// Draws filled shapes into an ``RGBImage`` in Gymnasium's screen
/// coordinates: x to the right, y **up** from the bottom row (pygame draws
/// with y down and Gymnasium flips the surface before returning it), whole
/// pixels at whole coordinates, as pygame's `gfxdraw` addresses them.
public struct Canvas {
    public private(set) var image: RGBImage

    public init(width: Int, height: Int, background: RGB = .white) {
        image = RGBImage(width: width, height: height, color: background)
    }

    public mutating func set(x: Int, y: Int, _ color: RGB) {
        guard x >= 0, x < image.width, y >= 0, y < image.height else { return }
        let i = ((image.height - 1 - y) * image.width + x) * 3
        image.pixels[i] = color.r
        image.pixels[i + 1] = color.g
        image.pixels[i + 2] = color.b
    }

    /// Fills the polygon (any simple polygon) as pygame's `gfxdraw.filled_polygon`
    /// does: corners truncated to whole pixels, the pixels whose
    /// coordinates lie inside or on the edge set.
    public mutating func fillPolygon(_ points: [(Double, Double)], _ color: RGB) {
        guard points.count >= 3 else { return }
        let corners = points.map { (Double(Int($0.0)), Double(Int($0.1))) }
        let ys = corners.map(\.1)
        let low = max(0, Int(ys.min()!)), high = min(image.height - 1, Int(ys.max()!))
        guard low <= high else { return }
        for y in low...high {
            let cy = Double(y)
            var spans: [(Double, Double)] = [], crossings: [Double] = []
            for i in corners.indices {
                let (x0, y0) = corners[i], (x1, y1) = corners[(i + 1) % corners.count]
                if y0 == y1 {
                    if y0 == cy { spans.append((min(x0, x1), max(x0, x1))) }
                } else if (y0 <= cy && cy < y1) || (y1 <= cy && cy < y0) || (cy == max(y0, y1) && cy == Double(high)) {
                    crossings.append(x0 + (cy - y0) / (y1 - y0) * (x1 - x0))
                }
            }
            crossings.sort()
            var k = 0
            while k + 1 < crossings.count {
                spans.append((crossings[k], crossings[k + 1]))
                k += 2
            }
            for (a, b) in spans {
                let from = max(0, Int(a.rounded(.up))), to = min(image.width - 1, Int(b.rounded(.down)))
                if from <= to { for x in from...to { set(x: x, y: y, color) } }
            }
        }
    }

    /// A filled circle about the whole pixel `(Int(x), Int(y))` of radius
    /// `Int(radius)`, as `gfxdraw.filled_circle` takes its arguments.
    public mutating func fillCircle(x: Double, y: Double, radius: Double, _ color: RGB) {
        let cx = Int(x), cy = Int(y), r = Int(radius)
        for py in (cy - r)...(cy + r) {
            for px in (cx - r)...(cx + r) where (px - cx) * (px - cx) + (py - cy) * (py - cy) <= r * r + r {
                set(x: px, y: py, color)
            }
        }
    }

    public mutating func fillRectangle(x: Int, y: Int, width: Int, height: Int, _ color: RGB) {
        for py in y..<(y + height) { for px in x..<(x + width) { set(x: px, y: py, color) } }
    }

    /// A one-pixel segment between whole pixels (truncated), every pixel it steps through set.
    public mutating func line(from a: (Double, Double), to b: (Double, Double), _ color: RGB) {
        let (x0, y0, x1, y1) = (Int(a.0), Int(a.1), Int(b.0), Int(b.1))
        let steps = max(abs(x1 - x0), abs(y1 - y0))
        guard steps > 0 else { return set(x: x0, y: y0, color) }
        for i in 0...steps {
            let t = Double(i) / Double(steps)
            set(x: Int((Double(x0) + t * Double(x1 - x0)).rounded()), y: Int((Double(y0) + t * Double(y1 - y0)).rounded()), color)
        }
    }

    /// The corners of the rectangle `left…right × bottom…top` rotated by
    /// `angle` radians about the origin, then moved by `offset` (pygame's
    /// `Vector2.rotate_rad` as Gymnasium's renderers use it).
    public static func rotated(_ left: Double, _ right: Double, _ top: Double, _ bottom: Double, angle: Double,
                               offset: (Double, Double)) -> [(Double, Double)] {
        [(left, bottom), (left, top), (right, top), (right, bottom)].map { x, y in
            (x * cos(angle) - y * sin(angle) + offset.0, x * sin(angle) + y * cos(angle) + offset.1)
        }
    }
}
