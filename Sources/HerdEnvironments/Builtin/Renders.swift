import Foundation

// Pictures of the classic-control environments, drawn as Gymnasium 1.x's
// `render_mode="rgb_array"` draws them (`gymnasium/envs/classic_control/*.py`:
// the screen sizes, scales, shapes and colours), without antialiasing and
// without Pendulum's torque arrow.

extension CartPole: RenderableEnvironment {
    public func render() -> RGBImage { Self.draw(physicalState) }

    /// 600 × 400: the track at y = 100, a 50 × 30 black cart, a pole 10 px
    /// wide of the pole's length at the screen's scale, a blue-grey axle.
    static func draw(_ state: [Double]) -> RGBImage {
        let width = 600.0, scale = width / (Constants.xThreshold * 2)
        let poleWidth = 10.0, poleLength = scale * (2 * Constants.halfPoleLength), cartWidth = 50.0, cartHeight = 30.0
        let cartX = state[0] * scale + width / 2, cartY = 100.0, axle = cartHeight / 4
        var canvas = Canvas(width: 600, height: 400)
        canvas.fillPolygon(Canvas.rotated(-cartWidth / 2, cartWidth / 2, cartHeight / 2, -cartHeight / 2, angle: 0, offset: (cartX, cartY)),
                           .black)
        canvas.fillPolygon(Canvas.rotated(-poleWidth / 2, poleWidth / 2, poleLength - poleWidth / 2, -poleWidth / 2, angle: -state[2],
                                          offset: (cartX, cartY + axle)), RGB(202, 152, 101))
        canvas.fillCircle(x: cartX, y: cartY + axle, radius: poleWidth / 2, RGB(129, 132, 203))
        canvas.line(from: (0, cartY), to: (width, cartY), .black)
        return canvas.image
    }
}

extension CartPoleNoVelocity: RenderableEnvironment {
    public func render() -> RGBImage { CartPole.draw(physicalState) }
}

extension Acrobot: RenderableEnvironment {
    /// 500 × 500: the goal line one link above the pivot, two cyan links
    /// 0.2 wide, yellow joints.
    public func render() -> RGBImage {
        let s = physicalState, size = 500.0, scale = size / (2 * 2.2), offset = size / 2
        var canvas = Canvas(width: 500, height: 500)
        // Gymnasium's link ends, with x and y swapped as its renderer swaps them.
        let p1 = (-cos(s[0]) * scale, sin(s[0]) * scale)
        let p2 = (p1.0 - cos(s[0] + s[1]) * scale, p1.1 + sin(s[0] + s[1]) * scale)
        let joints = [(0.0, 0.0), (p1.1, p1.0), (p2.1, p2.0)]
        canvas.line(from: (-2.2 * scale + offset, scale + offset), to: (2.2 * scale + offset, scale + offset), .black)
        for (joint, angle) in zip(joints, [s[0] - .pi / 2, s[0] + s[1] - .pi / 2]) {
            let x = joint.0 + offset, y = joint.1 + offset
            canvas.fillPolygon(Canvas.rotated(0, scale, 0.1 * scale, -0.1 * scale, angle: angle, offset: (x, y)), RGB(0, 204, 204))
            canvas.fillCircle(x: x, y: y, radius: 0.1 * scale, RGB(204, 204, 0))
        }
        return canvas.image
    }
}

extension MountainCarTrack {
    /// 600 × 400: the hill as a line, a 40 × 20 black car tilted with the
    /// slope on grey wheels, and a yellow flag at `goal`.
    static func draw(position: Double, goal: Double) -> RGBImage {
        let scale = 600 / (maxPosition - minPosition), carWidth = 40.0, carHeight = 20.0, clearance = 10.0
        func height(_ x: Double) -> Double { sin(3 * x) * 0.45 + 0.55 }
        var canvas = Canvas(width: 600, height: 400)
        let track = (0..<100).map { i -> (Double, Double) in
            let x = minPosition + (maxPosition - minPosition) * Double(i) / 99
            return ((x - minPosition) * scale, height(x) * scale)
        }
        for (a, b) in zip(track, track.dropFirst()) { canvas.line(from: a, to: b, .black) }
        let tilt = cos(3 * position), base = ((position - minPosition) * scale, clearance + height(position) * scale)
        canvas.fillPolygon(Canvas.rotated(-carWidth / 2, carWidth / 2, carHeight, 0, angle: tilt, offset: base), .black)
        for wheel in [(carWidth / 4, 0.0), (-carWidth / 4, 0.0)] {
            let x = wheel.0 * cos(tilt) - wheel.1 * sin(tilt) + base.0, y = wheel.0 * sin(tilt) + wheel.1 * cos(tilt) + base.1
            canvas.fillCircle(x: x, y: y, radius: carHeight / 2.5, RGB(128, 128, 128))
        }
        let flagX = (goal - minPosition) * scale, flagBottom = height(goal) * scale, flagTop = flagBottom + 50
        canvas.line(from: (flagX, flagBottom), to: (flagX, flagTop), .black)
        canvas.fillPolygon([(flagX, flagTop), (flagX, flagTop - 10), (flagX + 25, flagTop - 5)], RGB(204, 204, 0))
        return canvas.image
    }
}

extension MountainCar: RenderableEnvironment {
    public func render() -> RGBImage { MountainCarTrack.draw(position: physicalState[0], goal: Constants.goalPosition) }
}

extension MountainCarContinuous: RenderableEnvironment {
    public func render() -> RGBImage { MountainCarTrack.draw(position: physicalState[0], goal: Constants.goalPosition) }
}

extension Pendulum: RenderableEnvironment {
    /// 500 × 500: a red rod of length 1 and width 0.2 with round ends,
    /// pointing up at θ = 0, on a black axle.
    public func render() -> RGBImage {
        let size = 500.0, scale = size / (2 * 2.2), offset = size / 2
        let length = scale, width = 0.2 * scale, angle = physicalState[0] + .pi / 2, red = RGB(204, 77, 77)
        var canvas = Canvas(width: 500, height: 500)
        canvas.fillPolygon(Canvas.rotated(0, length, width / 2, -width / 2, angle: angle, offset: (offset, offset)), red)
        canvas.fillCircle(x: offset, y: offset, radius: width / 2, red)
        canvas.fillCircle(x: length * cos(angle) + offset, y: length * sin(angle) + offset, radius: width / 2, red)
        canvas.fillCircle(x: offset, y: offset, radius: 0.05 * scale, .black)
        return canvas.image
    }
}
