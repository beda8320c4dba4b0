"""Draws a Gymnasium classic-control environment in a given physical state.

Usage: gymnasium_render.py ENV_ID OUT_FILE STATE...

Writes the raw RGB bytes of env.render() (render_mode="rgb_array") to
OUT_FILE and prints "HEIGHT WIDTH". Pendulum's torque arrow is left out
(last_u = None), as Herd does not draw it. Used by RenderTests.swift.
"""
import sys

import gymnasium as gym
import numpy as np

name, out, state = sys.argv[1], sys.argv[2], [float(v) for v in sys.argv[3:]]
env = gym.make(name, render_mode="rgb_array")
env.reset(seed=0)
env.unwrapped.state = np.array(state, dtype=np.float64)
if hasattr(env.unwrapped, "last_u"):
    env.unwrapped.last_u = None
frame = np.ascontiguousarray(env.render(), dtype=np.uint8)
with open(out, "wb") as f:
    f.write(frame.tobytes())
print(frame.shape[0], frame.shape[1])
