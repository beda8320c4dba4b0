"""Single-thread stepping rate of the `minatar` package's Gymnasium
environments, the workload of `herd bench envs --in-process`: a random
action each step (drawn in advance), a reset when an episode ends.

    python3 benchmarks/minatar_step_rate.py MinAtar/Breakout-v1 --steps 200000
Prints one JSON object.
"""
import argparse
import json
import time

import numpy as np
from minatar.gym import BaseEnv

GAMES = {"Asterix": "asterix", "Breakout": "breakout", "Freeway": "freeway",
         "Seaquest": "seaquest", "SpaceInvaders": "space_invaders"}

parser = argparse.ArgumentParser()
parser.add_argument("env")
parser.add_argument("--steps", type=int, default=200_000)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
title, version = args.env.split("/")[1].split("-")
env = BaseEnv(game=GAMES[title], use_minimal_action_set=(version == "v1"))
actions = np.random.RandomState(args.seed).randint(env.action_space.n, size=args.steps).tolist()
env.reset(seed=args.seed)
episodes = 0
start = time.perf_counter()
for a in actions:
    _, _, terminal, _, _ = env.step(a)
    if terminal:
        episodes += 1
        env.reset()
seconds = time.perf_counter() - start
print(json.dumps({"env": args.env, "steps": args.steps, "seconds": seconds, "episodes": episodes,
                  "steps_per_second": args.steps / seconds}))
