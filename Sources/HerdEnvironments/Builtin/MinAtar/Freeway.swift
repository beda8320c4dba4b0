import HerdCore

/// MinAtar Freeway: a chicken crosses eight lanes of traffic (rows 1–8)
/// from the bottom row to the top; it may move up or down once every three
/// frames. +1 for reaching the top, which puts it back at the bottom and
/// draws new car speeds; a car hitting it also puts it back. Each car moves
/// one cell every 1–5 frames, wrapping at the edges; the trail channel of its
/// speed (speed1 … speed5) marks the cell behind it. The game ends after 2,500
/// frames. Car speeds: `randint(1, 6, 8)` then directions
/// `sign(rand(8) − 0.5)`.
struct FreewayGame: MinAtarGame {
    static let channels = 7
    static let minimalActions = [0, 2, 4]
    private static let playerSpeed = 3, timeLimit = 2500

    private struct Car {
        var x: Int
        let y: Int
        var timer: Int
        var speed: Int
    }

    private var cars: [Car] = []
    private var position = 9
    private var moveTimer = 0, terminateTimer = 0
    private var terminal = false

    init(ramping: Bool) {}

    mutating func reset(_ random: inout NumpyRandomState) {
        randomizeCars(&random, initialize: true)
        position = 9
        moveTimer = Self.playerSpeed
        terminateTimer = Self.timeLimit
        terminal = false
    }

    private mutating func randomizeCars(_ random: inout NumpyRandomState, initialize: Bool) {
        let magnitudes = (0..<8).map { _ in random.randint(1, 6) }
        let speeds = (0..<8).map { i -> Int in
            let d = random.rand() - 0.5
            return magnitudes[i] * (d > 0 ? 1 : d < 0 ? -1 : 0)
        }
        if initialize {
            cars = (0..<8).map { Car(x: 0, y: $0 + 1, timer: abs(speeds[$0]), speed: speeds[$0]) }
        } else {
            for i in 0..<8 {
                cars[i].timer = abs(speeds[i])
                cars[i].speed = speeds[i]
            }
        }
    }

    mutating func act(_ action: MinAtarAction, _ random: inout NumpyRandomState) -> (reward: Double, terminal: Bool) {
        if terminal { return (0, true) }
        var reward = 0.0
        if action == .up && moveTimer == 0 {
            moveTimer = Self.playerSpeed
            position = max(0, position - 1)
        } else if action == .down && moveTimer == 0 {
            moveTimer = Self.playerSpeed
            position = min(9, position + 1)
        }
        if position == 0 {
            reward += 1
            randomizeCars(&random, initialize: false)
            position = 9
        }
        for i in 0..<8 {
            if cars[i].x == 4 && cars[i].y == position { position = 9 }
            if cars[i].timer == 0 {
                cars[i].timer = abs(cars[i].speed)
                cars[i].x += cars[i].speed > 0 ? 1 : -1
                if cars[i].x < 0 { cars[i].x = 9 } else if cars[i].x > 9 { cars[i].x = 0 }
                if cars[i].x == 4 && cars[i].y == position { position = 9 }
            } else {
                cars[i].timer -= 1
            }
        }
        if moveTimer > 0 { moveTimer -= 1 }
        terminateTimer -= 1
        if terminateTimer < 0 { terminal = true }
        return (reward, terminal)
    }

    func draw(_ board: MinAtarBoard) {
        board.set(0, y: position, x: 4)
        for car in cars {
            board.set(1, y: car.y, x: car.x)
            var back = car.speed > 0 ? car.x - 1 : car.x + 1
            if back < 0 { back = 9 } else if back > 9 { back = 0 }
            let speed = abs(car.speed)
            if (1...5).contains(speed) { board.set(1 + speed, y: car.y, x: back) }
        }
    }
}
