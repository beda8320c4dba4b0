import HerdCore

/// MinAtar Asterix: the player moves in rows 1–8; enemies and gold enter
/// rows 1–8 from the left or right edge and cross the screen. Touching gold
/// is +1 (the gold disappears); touching an enemy ends the game. A new
/// entity comes every `spawnSpeed` frames into a free row (left or right:
/// `rand() < 1/2`; gold: `rand() < 1/3`; row: `randint` over the free rows),
/// and entities move every `moveSpeed` frames. With ramping, every 100 frames
/// the spawn interval shrinks by one and, every other time, the move
/// interval too. Channels: player, enemy, trail, gold.
struct AsterixGame: MinAtarGame {
    static let channels = 4
    static let minimalActions = [0, 1, 2, 3, 4]
    private static let rampInterval = 100, initialSpawnSpeed = 10, initialMoveInterval = 5

    private struct Entity {
        var x: Int
        let y: Int
        let movesRight: Bool
        let isGold: Bool
    }

    private let ramping: Bool
    private var playerX = 5, playerY = 5
    private var entities = [Entity?](repeating: nil, count: 8)
    private var spawnSpeed = 0, spawnTimer = 0, moveSpeed = 0, moveTimer = 0
    private var rampTimer = 0, rampIndex = 0
    private var terminal = false

    init(ramping: Bool) { self.ramping = ramping }

    mutating func reset(_ random: inout NumpyRandomState) {
        playerX = 5
        playerY = 5
        entities = [Entity?](repeating: nil, count: 8)
        spawnSpeed = Self.initialSpawnSpeed
        spawnTimer = spawnSpeed
        moveSpeed = Self.initialMoveInterval
        moveTimer = moveSpeed
        rampTimer = Self.rampInterval
        rampIndex = 0
        terminal = false
    }

    mutating func act(_ action: MinAtarAction, _ random: inout NumpyRandomState) -> (reward: Double, terminal: Bool) {
        if terminal { return (0, true) }
        var reward = 0.0
        if spawnTimer == 0 {
            spawn(&random)
            spawnTimer = spawnSpeed
        }
        switch action {
        case .left: playerX = max(0, playerX - 1)
        case .right: playerX = min(9, playerX + 1)
        case .up: playerY = max(1, playerY - 1)
        case .down: playerY = min(8, playerY + 1)
        case .noop, .fire: break
        }
        for i in 0..<8 { touch(i, reward: &reward) }
        if moveTimer == 0 {
            moveTimer = moveSpeed
            for i in 0..<8 {
                guard var entity = entities[i] else { continue }
                entity.x += entity.movesRight ? 1 : -1
                if entity.x < 0 || entity.x > 9 {
                    entities[i] = nil
                } else {
                    entities[i] = entity
                    touch(i, reward: &reward)
                }
            }
        }
        spawnTimer -= 1
        moveTimer -= 1
        if ramping && (spawnSpeed > 1 || moveSpeed > 1) {
            if rampTimer >= 0 {
                rampTimer -= 1
            } else {
                if moveSpeed > 1 && rampIndex % 2 == 1 { moveSpeed -= 1 }
                if spawnSpeed > 1 { spawnSpeed -= 1 }
                rampIndex += 1
                rampTimer = Self.rampInterval
            }
        }
        return (reward, terminal)
    }

    /// Gold under the player is collected; an enemy there ends the game.
    private mutating func touch(_ i: Int, reward: inout Double) {
        guard let entity = entities[i], entity.x == playerX, entity.y == playerY else { return }
        if entity.isGold {
            entities[i] = nil
            reward += 1
        } else {
            terminal = true
        }
    }

    private mutating func spawn(_ random: inout NumpyRandomState) {
        let movesRight = random.rand() < 1.0 / 2
        let isGold = random.rand() < 1.0 / 3
        let free = (0..<8).filter { entities[$0] == nil }
        guard !free.isEmpty else { return }
        let slot = free[random.randint(free.count)]
        entities[slot] = Entity(x: movesRight ? 0 : 9, y: slot + 1, movesRight: movesRight, isGold: isGold)
    }

    func draw(_ board: MinAtarBoard) {
        board.set(0, y: playerY, x: playerX)
        for case let entity? in entities {
            board.set(entity.isGold ? 3 : 1, y: entity.y, x: entity.x)
            board.set(2, y: entity.y, x: entity.movesRight ? entity.x - 1 : entity.x + 1)
        }
    }
}
