"""Reference trajectories from the `minatar` package (1.0.15) for Herd's
MinAtar tests.

Every run: the package's Gymnasium environment for one game and action set
(`-v0` all six actions, `-v1` the minimal set), reset with `seed`, then
1,000 random actions; an episode that ends is followed by a reset without a
seed (the generator continues), as Herd's workers do. The actions are
`numpy.random.RandomState(1000 + seed).randint(n)`, one per step, so the
Swift test regenerates them with its own RandomState.

Each step feeds a running 64-bit FNV-1a hash with the observation the
action was taken in, as bytes in Herd's layout (channel first, [n, 10, 10],
0 or 1), then the reward as a little-endian float64 and the terminal flag as
one byte, and on a terminal step the episode's last observation. The hash is stored
after every 100 steps, with the run's episode count and total reward.

    python3 minatar_reference.py record       # writes minatar_reference.json here
    python3 minatar_reference.py trace GAME_ID SEED STEPS [STICKY RAMPING]
    python3 minatar_reference.py trace GAME_ID SEED --actions 0,1,2
                                              # one JSON line per step, for
                                              # the side-by-side tests (the
                                              # second stops at a terminal
                                              # step, as `herd envs trace`)
"""
import json
import os
import struct
import sys

import numpy as np
import minatar
from minatar.gym import BaseEnv

GAMES = {"Asterix": "asterix", "Breakout": "breakout", "Freeway": "freeway",
         "Seaquest": "seaquest", "SpaceInvaders": "space_invaders"}
SEEDS = list(range(20))
STEPS = 1000
CHECKPOINT = 100
FNV_OFFSET, FNV_PRIME, MASK = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1


def make(game_id, sticky=0.1, ramping=True):
    title, version = game_id.split("/")[1].split("-")
    return BaseEnv(game=GAMES[title], use_minimal_action_set=(version == "v1"),
                   sticky_action_prob=sticky, difficulty_ramping=ramping)


def herd_layout(state):
    return np.ascontiguousarray(np.transpose(state, (2, 0, 1))).astype(np.uint8)


class Hash:
    def __init__(self):
        self.value = FNV_OFFSET

    def feed(self, data):
        h = self.value
        for byte in data:
            h = ((h ^ byte) * FNV_PRIME) & MASK
        self.value = h


def steps(game_id, seed, count, sticky=0.1, ramping=True, actions=None):
    """Yields (observation before, action, observation after, reward,
    terminal); random actions unless `actions` are given."""
    env = make(game_id, sticky, ramping)
    draws = np.random.RandomState(1000 + seed)
    state, _ = env.reset(seed=seed)
    for t in range(count if actions is None else len(actions)):
        action = int(draws.randint(env.action_space.n)) if actions is None else actions[t]
        after, reward, terminal, _, _ = env.step(action)
        yield state, action, after, float(reward), bool(terminal)
        state = env.reset()[0] if terminal else after


def record():
    runs = []
    settings = [(0.1, True, seed) for seed in SEEDS] + [(0.1, False, seed) for seed in (100, 101)] + [(0.0, True, 200)]
    for title in GAMES:
        for version in ("v0", "v1"):
            game_id = f"MinAtar/{title}-{version}"
            for sticky, ramping, seed in settings:
                h, hashes, episodes, total = Hash(), [], 0, 0.0
                for t, (before, _, after, reward, terminal) in enumerate(steps(game_id, seed, STEPS, sticky, ramping)):
                    h.feed(herd_layout(before).tobytes())
                    h.feed(struct.pack("<d", reward) + bytes([terminal]))
                    if terminal:
                        h.feed(herd_layout(after).tobytes())
                    if terminal:
                        episodes += 1
                    total += reward
                    if (t + 1) % CHECKPOINT == 0:
                        hashes.append(f"{h.value:016x}")
                runs.append({"env": game_id, "seed": seed, "sticky_action_prob": sticky, "difficulty_ramping": ramping,
                             "episodes": episodes, "total_reward": total, "hashes": hashes})
    out = {"minatar_version": "1.0.15", "numpy_version": np.__version__, "steps": STEPS, "checkpoint": CHECKPOINT, "runs": runs}
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "minatar_reference.json"), "w") as f:
        json.dump(out, f, indent=0)


def trace(game_id, seed, count, sticky=0.1, ramping=True, actions=None):
    for before, action, after, reward, terminal in steps(game_id, seed, count, sticky, ramping, actions):
        print(json.dumps({"action": action, "obs": herd_layout(after).ravel().tolist(), "reward": reward, "terminal": terminal}))
        if actions is not None and terminal:
            break


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record()
    else:
        # trace GAME_ID SEED STEPS [STICKY RAMPING] or trace GAME_ID SEED --actions 0,1,2
        if sys.argv[4] == "--actions":
            trace(sys.argv[2], int(sys.argv[3]), 0, actions=[int(a) for a in sys.argv[5].split(",")])
        else:
            trace(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                  float(sys.argv[5]) if len(sys.argv) > 5 else 0.1,
                  (sys.argv[6] == "true") if len(sys.argv) > 6 else True)
