"""Gymnasium environments for Herd's bridge tests: `gym.make("herd_test_envs:HerdTest/Bytes-v0")`
imports this module, which registers them.

HerdTest/Bytes-v0: a uint8 image observation (2 x 3 x 4) whose cells are
(step * 7 + cell + action) mod 256, so every byte value and position can be
checked; 5 steps per episode, reward = action.
HerdTest/Raises-v0: step raises from its 3rd call on (a broken environment).
HerdTest/LegacySeed-v0: seeds numpy's legacy RandomState (seeds below 2**32 only).
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
