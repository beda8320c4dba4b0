"""The convolution training steps of `herd bench tensor` in PyTorch, timed
the same way: a torso, its dense layers and a 6-way linear head, MSE loss
against fixed targets, backward, Adam step.

- nature: the Nature DQN torso (Mnih et al. 2015): 32 8x8 stride 4, 64 4x4
  stride 2, 64 3x3 stride 1 (unpadded), dense 512; batch 32 of 4x84x84;
- minatar: MinAtar's torso (Young & Tian 2019): 16 3x3 stride 1 (unpadded),
  dense 128; batch 256 of 4x10x10.

    python3 torch_conv_step.py [THREADS]
Prints one JSON object with the median over 5 runs of the mean time per
step (after a warm-up of a tenth of the steps) for each network.
"""
import json
import sys

import torch
from torch import nn

from torch_timing import median_step_us

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)


def nature():
    return nn.Sequential(
        nn.Conv2d(4, 32, 8, stride=4), nn.ReLU(), nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
        nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(), nn.Flatten(), nn.Linear(64 * 7 * 7, 512), nn.ReLU(), nn.Linear(512, 6))


def minatar():
    return nn.Sequential(nn.Conv2d(4, 16, 3, stride=1), nn.ReLU(), nn.Flatten(), nn.Linear(16 * 8 * 8, 128), nn.ReLU(),
                         nn.Linear(128, 6))


def time_step(model, batch, image, iterations):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(batch, *image)
    y = torch.randn(batch, 6)

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()

    return median_step_us(step, iterations)

print(json.dumps({"torch_conv_nature_step_us": time_step(nature(), 32, (4, 84, 84), 40),
                  "torch_conv_minatar_step_us": time_step(minatar(), 256, (4, 10, 10), 300),
                  "threads": threads, "torch_version": torch.__version__}))
