"""Gymnasium environments for Herd's bridge tests: `gym.make("herd_test_envs:HerdTest/Bytes-v0")`
imports this module, which registers them.

HerdTest/Bytes-v0: a uint8 image observation (2 x 3 x 4) whose cells are
(step * 7 + cell + action) mod 256, so every byte value and position can be
checked; 5 steps per episode, reward = action.
HerdTest/Raises-v0: step raises from its 3rd call on (a broken environment).
HerdTest/LegacySeed-v0: seeds numpy's legacy RandomState (seeds below 2**32 only).
HerdTest/Spaces-v0(kind=...): the observation and action spaces the bridge flattens or refuses.
"""
import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.registration import register


class Bytes(gym.Env):
    def __init__(self):
        self.observation_space = spaces.Box(0, 255, shape=(2, 3, 4), dtype=np.uint8)
        self.action_space = spaces.Discrete(3)
        self.t = 0

    def frame(self, action):
        cells = np.arange(24, dtype=np.int64)
        return ((self.t * 7 + cells + action) % 256).astype(np.uint8).reshape(2, 3, 4)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self.frame(0), {}

    def step(self, action):
        self.t += 1
        return self.frame(int(action)), float(action), self.t >= 5, False, {}


register(id="HerdTest/Bytes-v0", entry_point=Bytes)


class Raises(gym.Env):
    """HerdTest/Raises-v0: a 2-value observation; step raises RuntimeError
    from its 3rd call on, as a broken environment would."""

    def __init__(self):
        self.observation_space = spaces.Box(-1, 1, shape=(2,), dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.calls = 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(2, dtype=np.float32), {}

    def step(self, action):
        self.calls += 1
        if self.calls >= 3:
            raise RuntimeError("the simulator lost its state")
        return np.zeros(2, dtype=np.float32), 1.0, False, False, {}


register(id="HerdTest/Raises-v0", entry_point=Raises)


class LegacySeed(gym.Env):
    """HerdTest/LegacySeed-v0: seeds numpy's legacy RandomState on reset, as
    MinAtar's Gymnasium wrapper does (it takes seeds below 2**32 only); the
    observation is the seed it was given and a draw from it."""

    def __init__(self):
        self.observation_space = spaces.Box(0, 2**32, shape=(2,), dtype=np.float32)
        self.action_space = spaces.Discrete(2)
        self.random = np.random.RandomState()
        self.seed = 0

    def reset(self, seed=None, options=None):
        if seed is not None:
            self.random = np.random.RandomState(seed)
            self.seed = seed
        return np.array([self.seed % 65536, self.random.randint(1000)], dtype=np.float32), {}

    def step(self, action):
        return np.array([self.seed % 65536, self.random.randint(1000)], dtype=np.float32), 0.0, False, False, {}


register(id="HerdTest/LegacySeed-v0", entry_point=LegacySeed)


def spaces_for(kind):
    """HerdTest/Spaces-v0's observation and action spaces for `kind`."""
    discrete = spaces.Discrete(2)
    return {
        "tuple": (spaces.Tuple((spaces.Discrete(3), spaces.Box(-1, 1, (2,), np.float32), spaces.MultiBinary(2))), discrete),
        # Keys given out of order: Gymnasium's Dict sorts them, and flatten follows.
        "dict": (spaces.Dict({"position": spaces.Box(-1, 1, (2,), np.float64), "colour": spaces.Discrete(4, start=1)}), discrete),
        "multidiscrete": (spaces.MultiDiscrete([3, 2, 4]), discrete),
        "multibinary": (spaces.MultiBinary([2, 3]), discrete),
        "hwc": (spaces.Box(0, 255, (6, 5, 3), np.uint8), discrete),
        "int_box": (spaces.Box(-5, 5, (2, 2), np.int64), discrete),
        "text": (spaces.Text(8), discrete),
        "nested_sequence": (spaces.Tuple((spaces.Discrete(2), spaces.Sequence(spaces.Discrete(2)))), discrete),
        "multidiscrete_actions": (spaces.Box(-1, 1, (2,), np.float32), spaces.MultiDiscrete([2, 2])),
        "discrete_start": (spaces.Discrete(3, start=-1), spaces.Discrete(3, start=10)),
    }[kind]


def spaces_observation(kind, t):
    """HerdTest/Spaces-v0's observation at step t: every part changes with t."""
    space, _ = spaces_for(kind)
    if kind == "tuple":
        return (t % 3, np.array([t / 10, -t / 20], np.float32), np.array([t % 2, 1 - t % 2], np.int8))
    if kind == "dict":
        return {"colour": 1 + t % 4, "position": np.array([t / 8, -0.5], np.float64)}
    if kind == "multidiscrete":
        return np.array([t % 3, (t + 1) % 2, (t + 2) % 4], np.int64)
    if kind == "multibinary":
        return np.array([[t % 2, 1, 0], [0, (t + 1) % 2, 1]], np.int8)
    if kind == "hwc":
        h, w, c = np.meshgrid(np.arange(6), np.arange(5), np.arange(3), indexing="ij")
        return ((t + 100 * c + 10 * h + w) % 256).astype(np.uint8)
    if kind == "int_box":
        return np.array([[t % 5, -1], [2, -(t % 5)]], np.int64)
    if kind == "discrete_start":
        return -1 + t % 3
    return space.sample()


class Spaces(gym.Env):
    """HerdTest/Spaces-v0(kind=...): one observation space of every kind the
    bridge flattens or refuses (`spaces_for`); the observation at step t is
    `spaces_observation(kind, t)`, reward the action taken, 4 steps per
    episode."""

    def __init__(self, kind="tuple"):
        self.kind = kind
        self.observation_space, self.action_space = spaces_for(kind)
        self.t = 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return spaces_observation(self.kind, 0), {}

    def step(self, action):
        self.t += 1
        return spaces_observation(self.kind, self.t), float(np.sum(action)), self.t >= 4, False, {}


register(id="HerdTest/Spaces-v0", entry_point=Spaces)
