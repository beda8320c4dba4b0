import HerdCore
/// `Catch-v0`: bsuite's catch (Osband et al. 2020,
/// `bsuite/environments/catch.py`): a ball falls one row per step from a
/// random column of the top row of a `rows × columns` board (10 × 5); the
/// paddle starts in the middle of the bottom row and moves left, stays or
/// moves right (actions 0, 1, 2), clipped at the walls. When the ball reaches
/// the bottom row the episode terminates with +1 if the paddle is under it,
/// −1 otherwise (rewards are 0 before), after `rows − 1` steps.
///
/// Observation: the board as a `1 × rows × columns` image, 1 where the ball
/// or the paddle is, 0 elsewhere.
public final class Catch: EnvironmentBase, Environment {
    public let rows: Int
    public let columns: Int
    private var ballX = 0, ballY = 0, paddleX = 0

    public init(name: String = "Catch-v0", rows: Int = 10, columns: Int = 5) {
        require(rows >= 2 && columns >= 1, "Catch needs at least 2 rows and 1 column")
        self.rows = rows
        self.columns = columns
        super.init(name: name, observationSpace: .box(low: 0, high: 1, shape: [1, rows, columns]), actionSpace: .discrete(3))
    }

    public func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        beginReset(seed: seed)
        ballX = Int(rng.next() % UInt64(columns))
        ballY = 0
        paddleX = columns / 2
        write(observation)
    }

    public func step(_ action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>) throws -> StepOutcome {
        try beginStep()
        let move = try discreteAction(action, count: 3) - 1
        paddleX = min(max(paddleX + move, 0), columns - 1)
        ballY += 1
        write(observation)
        if ballY == rows - 1 {
            return finish(StepOutcome(reward: paddleX == ballX ? 1 : -1, terminated: true, truncated: false))
        }
        return StepOutcome(reward: 0, terminated: false, truncated: false)
    }

    private func write(_ observation: UnsafeMutableBufferPointer<Float>) {
        for i in 0..<observation.count { observation[i] = 0 }
        observation[ballY * columns + ballX] = 1
        observation[(rows - 1) * columns + paddleX] = 1
    }
}

extension Catch: RenderableEnvironment {
    /// The board at 20 pixels a cell: the ball and the paddle white on black
    /// (bsuite draws nothing; this is Herd's picture).
    public func render() -> RGBImage {
        var canvas = Canvas(width: columns * 20, height: rows * 20, background: .black)
        for (x, y) in [(ballX, ballY), (paddleX, rows - 1)] {
            canvas.fillRectangle(x: x * 20, y: (rows - 1 - y) * 20, width: 20, height: 20, .white)
        }
        return canvas.image
    }
}
