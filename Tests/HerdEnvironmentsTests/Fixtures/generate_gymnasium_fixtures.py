"""Reference trajectories from Gymnasium for Herd's environment tests.

For each physics environment, episodes start from random physical states
(set on `env.unwrapped.state` after a reset) and take uniformly random
actions until the episode ends (terminated or truncated by the registered
time limit) or a per-environment recording cap is hit, until 1,000 steps in
all have been recorded. CartPole's first episode is driven by a balancing
controller instead, so that the 500-step truncation is covered too. Each episode stores
its initial state, the actions, and per step the observation (float32 values
as Python floats), the reward, and both flags.

Run from anywhere:  python3 generate_gymnasium_fixtures.py
Writes gymnasium_<env>.json next to this script and records the Gymnasium and
NumPy versions in each file.
"""
import json
import os

import gymnasium as gym
import numpy as np

STEPS = 1000
HERE = os.path.dirname(os.path.abspath(__file__))

# Ranges for random initial states, wider than the reset distributions so the
# runs cover termination (CartPole, Acrobot), the walls and the goal
# (MountainCar) and large angles and speeds (Pendulum).
STATE_RANGES = {
    "CartPole-v1": [(-2.0, 2.0), (-1.5, 1.5), (-0.18, 0.18), (-1.5, 1.5)],
    "Acrobot-v1": [(-np.pi, np.pi), (-np.pi, np.pi), (-4.0, 4.0), (-8.0, 8.0)],
    "MountainCar-v0": [(-1.2, 0.55), (-0.07, 0.07)],
    "MountainCarContinuous-v0": [(-1.2, 0.44), (-0.07, 0.07)],
    "Pendulum-v1": [(-np.pi, np.pi), (-8.0, 8.0)],
}


# Recording stops after this many steps of one episode (the episode itself
# would go on): more, shorter episodes cover more starting states.
EPISODE_CAP = {"MountainCarContinuous-v0": 100}


def balancing_action(observation):
    """Push towards the side the pole is falling to (keeps CartPole up for 500 steps)."""
    _, _, theta, theta_dot = observation
    return int(theta + 0.5 * theta_dot > 0)


def action_for(env, rng):
    space = env.action_space
    if isinstance(space, gym.spaces.Discrete):
        return int(rng.integers(space.n))
    # Continuous: a bit beyond the bounds too, to cover Gymnasium's clipping.
    low, high = float(space.low[0]), float(space.high[0])
    return np.array([rng.uniform(low * 1.25, high * 1.25)], dtype=np.float32)


def record(env_id, seed):
    env = gym.make(env_id)
    rng = np.random.default_rng(seed)
    episodes, total = [], 0
    while total < STEPS:
        env.reset(seed=int(rng.integers(2**31)))
        balance = env_id == "CartPole-v1" and not episodes
        if balance:
            state = np.zeros(4)
        else:
            state = np.array([rng.uniform(lo, hi) for lo, hi in STATE_RANGES[env_id]], dtype=np.float64)
        env.unwrapped.state = state.copy()
        observation = state.astype(np.float32)
        episode = {"initial_state": state.tolist(), "actions": [], "observations": [], "rewards": [],
                   "terminated": [], "truncated": []}
        while total < STEPS and len(episode["actions"]) < EPISODE_CAP.get(env_id, 10**9):
            action = balancing_action(observation) if balance else action_for(env, rng)
            observation, reward, terminated, truncated, _ = env.step(action)
            episode["actions"].append(float(action[0]) if isinstance(action, np.ndarray) else action)
            episode["observations"].append([float(x) for x in observation])
            episode["rewards"].append(float(reward))
            episode["terminated"].append(bool(terminated))
            episode["truncated"].append(bool(truncated))
            total += 1
            if terminated or truncated:
                break
        episodes.append(episode)
    return {"env": env_id, "gymnasium_version": gym.__version__, "numpy_version": np.__version__,
            "seed": seed, "episodes": episodes}


if __name__ == "__main__":
    for index, env_id in enumerate(STATE_RANGES):
        data = record(env_id, seed=1000 + index)
        path = os.path.join(HERE, f"gymnasium_{env_id}.json")
        with open(path, "w") as f:
            json.dump(data, f, separators=(",", ":"))
        steps = sum(len(e["actions"]) for e in data["episodes"])
        ends = sum(e["terminated"][-1] for e in data["episodes"])
        cuts = sum(e["truncated"][-1] for e in data["episodes"])
        print(f"{env_id}: {len(data['episodes'])} episodes, {steps} steps, {ends} terminated, {cuts} truncated")
