import HerdCore

/// MinAtar Space Invaders: a cannon on the bottom row fires upward (at most
/// once every 5 frames) at a 4 × 6 block of aliens that shifts sideways every
/// `min(aliens left, move interval)` frames and steps down a row, reversing,
/// when it reaches a wall. +1 per alien hit. Every 10 frames the alien
/// nearest the cannon's column (ties to the left) drops a bullet. The game
/// ends when an enemy bullet or an alien reaches the cannon, or an alien
/// reaches the bottom row as the block steps down. A cleared block comes back
/// at the top; with ramping the move interval then shrinks by one, down to
/// 6. No randomness besides the sticky actions. Channels: cannon, alien,
/// alien moving left, alien moving right, friendly bullet, enemy bullet.
struct SpaceInvadersGame: MinAtarGame {
    static let channels = 6
    static let minimalActions = [0, 1, 3, 5]
    private static let shotCoolDown = 5, initialMoveInterval = 12, shotInterval = 10

    private let ramping: Bool
    private var position = 5
    private var friendly = [Bool](repeating: false, count: 100)
    private var enemy = [Bool](repeating: false, count: 100)
    private var aliens = [Bool](repeating: false, count: 100)
    private var direction = -1
    private var moveInterval = 0, moveTimer = 0, alienShotTimer = 0, shotTimer = 0
    private var rampIndex = 0
    private var terminal = false

    init(ramping: Bool) { self.ramping = ramping }

    mutating func reset(_ random: inout NumpyRandomState) {
        position = 5
        friendly = [Bool](repeating: false, count: 100)
        enemy = friendly
        aliens = friendly
        fillAliens()
        direction = -1
        moveInterval = Self.initialMoveInterval
        moveTimer = moveInterval
        alienShotTimer = Self.shotInterval
        rampIndex = 0
        shotTimer = 0
        terminal = false
    }

    private mutating func fillAliens() {
        for y in 0..<4 { for x in 2..<8 { aliens[y * 10 + x] = true } }
    }

    /// numpy's `roll` of a 10 × 10 map by `rows` (±1) along the first axis,
    /// in place; the row that leaves on one side comes back on the other.
    private static func roll(_ map: inout [Bool], rows: Int) {
        let leaving = rows > 0 ? 9 : 0
        let saved = Array(map[(leaving * 10)..<(leaving * 10 + 10)])
        if rows > 0 {
            for y in stride(from: 9, to: 0, by: -1) { for x in 0..<10 { map[y * 10 + x] = map[(y - 1) * 10 + x] } }
        } else {
            for y in 0..<9 { for x in 0..<10 { map[y * 10 + x] = map[(y + 1) * 10 + x] } }
        }
        let arriving = 9 - leaving
        for x in 0..<10 { map[arriving * 10 + x] = saved[x] }
    }

    /// `roll` by `columns` (±1) along the second axis, in place.
    private static func roll(_ map: inout [Bool], columns: Int) {
        for y in 0..<10 {
            let row = y * 10
            if columns > 0 {
                let last = map[row + 9]
                for x in stride(from: 9, to: 0, by: -1) { map[row + x] = map[row + x - 1] }
                map[row] = last
            } else {
                let first = map[row]
                for x in 0..<9 { map[row + x] = map[row + x + 1] }
                map[row + 9] = first
            }
        }
    }

    private func anyAlien(column x: Int) -> Bool { (0..<10).contains { aliens[$0 * 10 + x] } }
    private func anyAlien(row y: Int) -> Bool { (0..<10).contains { aliens[y * 10 + $0] } }

    mutating func act(_ action: MinAtarAction, _ random: inout NumpyRandomState) -> (reward: Double, terminal: Bool) {
        if terminal { return (0, true) }
        if action == .fire && shotTimer == 0 {
            friendly[90 + position] = true
            shotTimer = Self.shotCoolDown
        } else if action == .left {
            position = max(0, position - 1)
        } else if action == .right {
            position = min(9, position + 1)
        }
        // Friendly bullets move up a row (off the top, gone); enemy ones down.
        Self.roll(&friendly, rows: -1)
        for x in 0..<10 { friendly[90 + x] = false }
        Self.roll(&enemy, rows: 1)
        for x in 0..<10 { enemy[x] = false }
        if enemy[90 + position] { terminal = true }

        if aliens[90 + position] { terminal = true }
        if moveTimer == 0 {
            moveTimer = min(aliens.count(where: { $0 }), moveInterval)
            if (anyAlien(column: 0) && direction < 0) || (anyAlien(column: 9) && direction > 0) {
                direction = -direction
                if anyAlien(row: 9) { terminal = true }
                Self.roll(&aliens, rows: 1)
            } else {
                Self.roll(&aliens, columns: direction)
            }
            if aliens[90 + position] { terminal = true }
        }
        if alienShotTimer == 0 {
            alienShotTimer = Self.shotInterval
            if let (y, x) = nearestAlien() { enemy[y * 10 + x] = true }
        }
        var reward = 0.0
        for i in 0..<100 where aliens[i] && friendly[i] {
            reward += 1
            aliens[i] = false
            friendly[i] = false
        }
        if shotTimer > 0 { shotTimer -= 1 }
        moveTimer -= 1
        alienShotTimer -= 1
        if !aliens.contains(true) {
            if moveInterval > 6 && ramping {
                moveInterval -= 1
                rampIndex += 1
            }
            fillAliens()
        }
        return (reward, terminal)
    }

    /// The lowest alien of the column nearest the cannon (the nearer-left
    /// column first on a tie), as (row, column).
    private func nearestAlien() -> (Int, Int)? {
        for distance in 0..<10 {
            for x in [position - distance, position + distance] where x >= 0 && x < 10 {
                if let y = (0..<10).last(where: { aliens[$0 * 10 + x] }) { return (y, x) }
                if distance == 0 { break }
            }
        }
        return nil
    }

    func draw(_ board: MinAtarBoard) {
        board.set(0, y: 9, x: position)
        for i in 0..<100 {
            if aliens[i] {
                board.set(1, y: i / 10, x: i % 10)
                board.set(direction < 0 ? 2 : 3, y: i / 10, x: i % 10)
            }
            if friendly[i] { board.set(4, y: i / 10, x: i % 10) }
            if enemy[i] { board.set(5, y: i / 10, x: i % 10) }
        }
    }
}
