"""Reference frames for Herd's Atari bridge test, from Gymnasium itself: the
ALE id with frameskip 1 and no sticky actions, Gymnasium's AtariPreprocessing
(30 no-op starts, frame skip 4 with the max over the last two frames, 84x84
grayscale, a lost life ends the episode) and a 4-frame FrameStackObservation
-- the wrappers configs/pong_vtrace.yaml asks the worker for. Reset with
SEED, then the actions; after an episode ends, a reset without a seed (the
generator continues), as Herd's workers do.

    python3 atari_reference.py ALE/Breakout-v5 SEED 0,1,3,2,...

One JSON line per step: the observation's byte sum and its position-weighted
sum (sum of byte * (i mod 251 + 1)), the reward and both flags.
"""
import json
import sys

import gymnasium as gym
import numpy as np
import ale_py  # noqa: F401  (registers the ALE ids)

env_id, seed, actions = sys.argv[1], int(sys.argv[2]), [int(a) for a in sys.argv[3].split(",")]
env = gym.make(env_id, frameskip=1, repeat_action_probability=0.0)
env = gym.wrappers.AtariPreprocessing(env, noop_max=30, frame_skip=4, screen_size=84, terminal_on_life_loss=True, grayscale_obs=True)
env = gym.wrappers.FrameStackObservation(env, stack_size=4)
weights = (np.arange(4 * 84 * 84) % 251 + 1).astype(np.int64)


def checksums(obs):
    flat = np.asarray(obs, dtype=np.uint8).reshape(-1).astype(np.int64)
    return int(flat.sum()), int((flat * weights).sum())


obs, _ = env.reset(seed=seed)
print(json.dumps({"sum": checksums(obs)[0], "weighted": checksums(obs)[1]}))
for action in actions:
    obs, reward, terminated, truncated, _ = env.step(action)
    if terminated or truncated:
        obs, _ = env.reset()
    total, weighted = checksums(obs)
    print(json.dumps({"sum": total, "weighted": weighted, "reward": float(reward), "terminated": bool(terminated),
                      "truncated": bool(truncated)}))
