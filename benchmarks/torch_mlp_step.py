"""The MLP training step of `herd bench tensor` in PyTorch, timed the same way.

MLP 4→64→64→2 with tanh, batch 256, MSE loss against fixed targets, backward,
Adam step. Prints one JSON object: {"torch_mlp_step_us": ..., "threads": ...}.
The figure is the median over 5 runs of the mean time per step (after a
warm-up of a tenth of the steps), as Herd's benchmark reports it.
"""
import json
import sys

import torch

from torch_timing import median_step_us

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
torch.set_num_threads(threads)
torch.manual_seed(0)

model = torch.nn.Sequential(
    torch.nn.Linear(4, 64), torch.nn.Tanh(),
    torch.nn.Linear(64, 64), torch.nn.Tanh(),
    torch.nn.Linear(64, 2),
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(256, 4)
y = torch.randn(256, 2)


def step():
    optimizer.zero_grad(set_to_none=True)
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()


print(json.dumps({"torch_mlp_step_us": median_step_us(step, iterations), "threads": threads,
                  "torch_version": torch.__version__}))
