import HerdCore

/// MinAtar Breakout: a paddle on the bottom row bounces a ball that moves
/// one cell along a diagonal per frame into three rows of bricks (rows 1–3).
/// +1 per brick; the ball is reflected by walls, the ceiling and bricks, and
/// by the paddle to the side of the paddle it hits; the bricks come back when
/// the ball reaches the bottom row with none left. The game ends when the ball
/// reaches the bottom row past the paddle. Channels: paddle, ball, trail (the
/// ball's previous cell), brick. The ball starts in row 3 at the left or
/// right wall (one `randint(2)`), heading down and away from it.
struct BreakoutGame: MinAtarGame {
    static let channels = 4
    static let minimalActions = [0, 1, 3]

    private var ballX = 0, ballY = 0, direction = 0
    private var lastX = 0, lastY = 0
    private var paddle = 0
    private var bricks = [Bool](repeating: false, count: 100)
    private var strike = false
    private var terminal = false

    init(ramping: Bool) {}

    // Direction d moves by steps[d]: up-left, up-right, down-right, down-left.
    private static let steps = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    private static let mirrorX = [1, 0, 3, 2], mirrorY = [3, 2, 1, 0], paddleEdge = [2, 3, 0, 1]

    mutating func reset(_ random: inout NumpyRandomState) {
        ballY = 3
        (ballX, direction) = random.randint(2) == 0 ? (0, 2) : (9, 3)
        paddle = 4
        fillBricks()
        strike = false
        lastX = ballX
        lastY = ballY
        terminal = false
    }

    private mutating func fillBricks() {
        for i in 0..<100 { bricks[i] = (10..<40).contains(i) }
    }

    mutating func act(_ action: MinAtarAction, _ random: inout NumpyRandomState) -> (reward: Double, terminal: Bool) {
        if terminal { return (0, true) }
        var reward = 0.0
        if action == .left { paddle = max(0, paddle - 1) } else if action == .right { paddle = min(9, paddle + 1) }
        lastX = ballX
        lastY = ballY
        var newX = ballX + Self.steps[direction].0, newY = ballY + Self.steps[direction].1
        var struck = false
        if newX < 0 || newX > 9 {
            newX = min(max(newX, 0), 9)
            direction = Self.mirrorX[direction]
        }
        if newY < 0 {
            newY = 0
            direction = Self.mirrorY[direction]
        } else if bricks[newY * 10 + newX] {
            struck = true
            if !strike {
                reward += 1
                strike = true
                bricks[newY * 10 + newX] = false
                newY = lastY
                direction = Self.mirrorY[direction]
            }
        } else if newY == 9 {
            if !bricks.contains(true) { fillBricks() }
            if ballX == paddle {
                direction = Self.mirrorY[direction]
                newY = lastY
            } else if newX == paddle {
                direction = Self.paddleEdge[direction]
                newY = lastY
            } else {
                terminal = true
            }
        }
        if !struck { strike = false }
        ballX = newX
        ballY = newY
        return (reward, terminal)
    }

    func draw(_ board: MinAtarBoard) {
        board.set(1, y: ballY, x: ballX)
        board.set(0, y: 9, x: paddle)
        board.set(2, y: lastY, x: lastX)
        for i in 0..<100 where bricks[i] { board.set(3, y: i / 10, x: i % 10) }
    }
}
