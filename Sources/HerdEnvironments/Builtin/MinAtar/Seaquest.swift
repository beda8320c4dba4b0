import HerdCore

/// MinAtar Seaquest: a submarine (rows 0–8) shoots enemy fish and subs that
/// cross rows 1–8 (+1 each), collects up to six divers, and must surface
/// (row 0) before its 200 units of oxygen run out. Surfacing with no diver
/// ends the game; with six it pays `oxygen · 10 ÷ 200` and empties the
/// gauge; any surfacing refills the oxygen, costs a diver and, with ramping,
/// makes enemies come faster (and, every other time, move faster). Touching
/// an enemy, its bullet or running out of oxygen ends the game. Enemies come
/// every `spawnSpeed` frames (`rand() < 1/2` left or right, `rand() < 1/3` a
/// sub, row `randint(1, 9)`, skipped when the row already has one heading
/// the other way); divers every 30 (`rand()`, `randint(1, 9)`). Channels:
/// sub front, sub back, friendly bullet, trail, enemy bullet, enemy fish,
/// enemy sub, oxygen gauge, diver gauge, diver.
///
/// The reference keeps its objects in Python lists that it walks backwards
/// while removing from them, and removes by value (the first equal entry).
/// Those rules decide which object moves when two are alike, so the lists
/// here are emulated as they are: ``Things`` removes the first equal entry,
/// and ``Things/BackwardsWalk`` walks as Python's `reversed` does.
struct SeaquestGame: MinAtarGame {
    static let channels = 10
    static let minimalActions = [0, 1, 2, 3, 4, 5]
    private static let maxOxygen = 200, initialSpawnSpeed = 20, diverSpawnSpeed = 30, initialMoveInterval = 5
    private static let shotCoolDown = 5, enemyShotInterval = 10, diverMoveInterval = 5

    /// One moving object: position, heading, and its move and shot timers
    /// (a reference, like the reference's lists, so that it can be changed
    /// while a walk holds it).
    final class Thing: Equatable {
        var x: Int
        let y: Int
        let movesRight: Bool
        var moveTimer: Int
        var shotTimer: Int

        init(x: Int, y: Int, movesRight: Bool, moveTimer: Int = 0, shotTimer: Int = 0) {
            self.x = x
            self.y = y
            self.movesRight = movesRight
            self.moveTimer = moveTimer
            self.shotTimer = shotTimer
        }

        static func == (a: Thing, b: Thing) -> Bool {
            a.x == b.x && a.y == b.y && a.movesRight == b.movesRight && a.moveTimer == b.moveTimer && a.shotTimer == b.shotTimer
        }

        func isAt(_ x: Int, _ y: Int) -> Bool { self.x == x && self.y == y }
        func isAt(_ other: Thing) -> Bool { isAt(other.x, other.y) }
        func advance() { x += movesRight ? 1 : -1 }
        var isOffScreen: Bool { x < 0 || x > 9 }
    }

    /// A Python list of ``Thing``s.
    struct Things {
        private(set) var items: [Thing] = []

        mutating func append(_ thing: Thing) { items.append(thing) }

        /// `list.remove(x)`: the first entry equal to `thing`.
        mutating func remove(_ thing: Thing) {
            if let i = items.firstIndex(of: thing) { items.remove(at: i) }
        }

        /// A walk as `for x in reversed(list)` makes it: from the last index
        /// down, re-reading the list at each index and stopping once the
        /// index is past its end (the list may shrink under it).
        struct BackwardsWalk {
            private var index: Int
            init(_ things: Things) { index = things.items.count - 1 }
            mutating func next(_ things: Things) -> Thing? {
                guard index >= 0 && index < things.items.count else { return nil }
                defer { index -= 1 }
                return things.items[index]
            }
        }

        /// The first entry at `other`'s cell.
        func first(at other: Thing) -> Thing? { items.first { $0.isAt(other) } }
    }

    private let ramping: Bool
    private var oxygen = 0, divers = 0
    private var subX = 5, subY = 0, facingRight = false
    private var friendlyBullets = Things(), enemyBullets = Things(), fish = Things(), subs = Things(), swimmers = Things()
    private var spawnSpeed = 0, spawnTimer = 0, diverSpawnTimer = 0, moveSpeed = 0
    private var rampIndex = 0, shotTimer = 0
    private var surfaced = true, terminal = false

    init(ramping: Bool) { self.ramping = ramping }

    mutating func reset(_ random: inout NumpyRandomState) {
        oxygen = Self.maxOxygen
        divers = 0
        subX = 5
        subY = 0
        facingRight = false
        friendlyBullets = Things()
        enemyBullets = Things()
        fish = Things()
        subs = Things()
        swimmers = Things()
        spawnSpeed = Self.initialSpawnSpeed
        spawnTimer = spawnSpeed
        diverSpawnTimer = Self.diverSpawnSpeed
        moveSpeed = Self.initialMoveInterval
        rampIndex = 0
        shotTimer = 0
        surfaced = true
        terminal = false
    }

    mutating func act(_ action: MinAtarAction, _ random: inout NumpyRandomState) -> (reward: Double, terminal: Bool) {
        if terminal { return (0, true) }
        var reward = 0
        if spawnTimer == 0 {
            spawnEnemy(&random)
            spawnTimer = spawnSpeed
        }
        if diverSpawnTimer == 0 {
            spawnDiver(&random)
            diverSpawnTimer = Self.diverSpawnSpeed
        }
        if action == .fire && shotTimer == 0 {
            friendlyBullets.append(Thing(x: subX, y: subY, movesRight: facingRight))
            shotTimer = Self.shotCoolDown
        } else if action == .left {
            subX = max(0, subX - 1)
            facingRight = false
        } else if action == .right {
            subX = min(9, subX + 1)
            facingRight = true
        } else if action == .up {
            subY = max(0, subY - 1)
        } else if action == .down {
            subY = min(8, subY + 1)
        }
        moveFriendlyBullets(reward: &reward)
        moveDivers()
        var list = subs
        moveEnemies(&list, shoots: true, reward: &reward)
        subs = list
        moveEnemyBullets()
        list = fish
        moveEnemies(&list, shoots: false, reward: &reward)
        fish = list
        if spawnTimer > 0 { spawnTimer -= 1 }
        if diverSpawnTimer > 0 { diverSpawnTimer -= 1 }
        if shotTimer > 0 { shotTimer -= 1 }
        if oxygen <= 0 { terminal = true }
        if subY > 0 {
            oxygen -= 1
            surfaced = false
        } else if !surfaced {
            if divers == 0 { terminal = true } else { reward += surface() }
        }
        return (Double(reward), terminal)
    }

    private mutating func moveFriendlyBullets(reward: inout Int) {
        var walk = Things.BackwardsWalk(friendlyBullets)
        while let bullet = walk.next(friendlyBullets) {
            bullet.advance()
            if bullet.isOffScreen {
                friendlyBullets.remove(bullet)
            } else if let hit = fish.first(at: bullet) {
                fish.remove(hit)
                friendlyBullets.remove(bullet)
                reward += 1
            } else if let hit = subs.first(at: bullet) {
                subs.remove(hit)
                friendlyBullets.remove(bullet)
                reward += 1
            }
        }
    }

    private mutating func moveDivers() {
        var walk = Things.BackwardsWalk(swimmers)
        while let diver = walk.next(swimmers) {
            if diver.isAt(subX, subY) && divers < 6 {
                swimmers.remove(diver)
                divers += 1
            } else if diver.moveTimer == 0 {
                diver.moveTimer = Self.diverMoveInterval
                diver.advance()
                if diver.isOffScreen {
                    swimmers.remove(diver)
                } else if diver.isAt(subX, subY) && divers < 6 {
                    swimmers.remove(diver)
                    divers += 1
                }
            } else {
                diver.moveTimer -= 1
            }
        }
    }

    /// Enemy subs, then (with `shoots` false) fish: touching the player ends
    /// the game; moving into a friendly bullet destroys both.
    private mutating func moveEnemies(_ list: inout Things, shoots: Bool, reward: inout Int) {
        var walk = Things.BackwardsWalk(list)
        while let enemy = walk.next(list) {
            if enemy.isAt(subX, subY) { terminal = true }
            if enemy.moveTimer == 0 {
                enemy.moveTimer = moveSpeed
                enemy.advance()
                if enemy.isOffScreen {
                    list.remove(enemy)
                } else if enemy.isAt(subX, subY) {
                    terminal = true
                } else if let hit = friendlyBullets.first(at: enemy) {
                    list.remove(enemy)
                    friendlyBullets.remove(hit)
                    reward += 1
                }
            } else {
                enemy.moveTimer -= 1
            }
            guard shoots else { continue }
            // A sub removed above still fires this frame, as in the reference.
            if enemy.shotTimer == 0 {
                enemy.shotTimer = Self.enemyShotInterval
                enemyBullets.append(Thing(x: enemy.x, y: enemy.y, movesRight: enemy.movesRight))
            } else {
                enemy.shotTimer -= 1
            }
        }
    }

    private mutating func moveEnemyBullets() {
        var walk = Things.BackwardsWalk(enemyBullets)
        while let bullet = walk.next(enemyBullets) {
            if bullet.isAt(subX, subY) { terminal = true }
            bullet.advance()
            if bullet.isOffScreen {
                enemyBullets.remove(bullet)
            } else if bullet.isAt(subX, subY) {
                terminal = true
            }
        }
    }

    private mutating func surface() -> Int {
        surfaced = true
        var reward = 0
        if divers == 6 {
            divers = 0
            reward = floorDivide(oxygen * 10, Self.maxOxygen)
        }
        oxygen = Self.maxOxygen
        divers -= 1  // also after six: the reference's gauge then reads −1
        if ramping && (spawnSpeed > 1 || moveSpeed > 2) {
            if moveSpeed > 2 && rampIndex % 2 == 1 { moveSpeed -= 1 }
            if spawnSpeed > 1 { spawnSpeed -= 1 }
            rampIndex += 1
        }
        return reward
    }

    private mutating func spawnEnemy(_ random: inout NumpyRandomState) {
        let movesRight = random.rand() < 1.0 / 2
        let isSub = random.rand() < 1.0 / 3
        let y = random.randint(1, 9)
        let x = movesRight ? 0 : 9
        let blocked = (subs.items + fish.items).contains { $0.y == y && $0.movesRight != movesRight }
        if blocked { return }
        if isSub {
            subs.append(Thing(x: x, y: y, movesRight: movesRight, moveTimer: moveSpeed, shotTimer: Self.enemyShotInterval))
        } else {
            fish.append(Thing(x: x, y: y, movesRight: movesRight, moveTimer: moveSpeed))
        }
    }

    private mutating func spawnDiver(_ random: inout NumpyRandomState) {
        let movesRight = random.rand() < 1.0 / 2
        let y = random.randint(1, 9)
        swimmers.append(Thing(x: movesRight ? 0 : 9, y: y, movesRight: movesRight, moveTimer: Self.diverMoveInterval))
    }

    func draw(_ board: MinAtarBoard) {
        board.set(0, y: subY, x: subX)
        board.set(1, y: subY, x: facingRight ? subX - 1 : subX + 1)
        for x in 0..<floorDivide(max(0, oxygen) * 10, Self.maxOxygen) { board.set(7, y: 9, x: x) }
        if divers > 0 { for x in (9 - divers)..<9 { board.set(8, y: 9, x: x) } }
        for bullet in friendlyBullets.items { board.set(2, y: bullet.y, x: bullet.x) }
        for bullet in enemyBullets.items { board.set(4, y: bullet.y, x: bullet.x) }
        for (things, channel) in [(fish, 5), (subs, 6), (swimmers, 9)] {
            for thing in things.items {
                board.set(channel, y: thing.y, x: thing.x)
                board.set(3, y: thing.y, x: thing.movesRight ? thing.x - 1 : thing.x + 1)
            }
        }
    }
}

/// Python's `//` on integers (rounds toward −∞).
private func floorDivide(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}
