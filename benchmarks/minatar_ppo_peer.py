"""The PyTorch peer for Herd's MinAtar PPO: PPO in the style of CleanRL's
`ppo_atari.py` (Huang et al. 2022, "The 37 Implementation Details of
Proximal Policy Optimization"), written for this benchmark, against the
`minatar` package's Gymnasium environments (sticky actions 0.1, difficulty
ramping, all six actions unless the id is -v1).

The settings are those of configs/minatar_<game>_ppo.yaml: 64 environments
x 128 steps per rollout, 4 epochs of 8 minibatches, Adam 2.5e-4 (eps 1e-5)
annealed linearly, gamma 0.99, GAE lambda 0.95, clip 0.1 (policy and
value), entropy 0.01, value 0.5, gradient norm 0.5, per-minibatch advantage
normalisation; the network is MinAtar's torso (16 3x3 convolutions, stride
1, unpadded, then 128 units, ReLU), shared by the policy and value heads,
orthogonally initialised (sqrt 2; 0.01 for the policy head, 1 for the value).
Environments are stepped in-process one after another (gymnasium's
SyncVectorEnv), as CleanRL's script does.

    python3 benchmarks/minatar_ppo_peer.py --env MinAtar/Breakout-v0 --frames 1000000 --seed 0 --out curve.jsonl

Prints one JSON line per rollout ({"frames", "seconds", "return"}: the mean
return of episodes finished in it) to --out, and a summary line to stdout.
Evaluation: --eval-episodes episodes with the stochastic policy at the end.
"""
import argparse
import json
import time

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from minatar.gym import register_envs

parser = argparse.ArgumentParser()
parser.add_argument("--env", default="MinAtar/Breakout-v0")
parser.add_argument("--frames", type=int, default=1_000_000)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--envs", type=int, default=64)
parser.add_argument("--steps", type=int, default=128)
parser.add_argument("--eval-episodes", type=int, default=30)
parser.add_argument("--out", default=None)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
np.random.seed(args.seed)
register_envs()

LR, GAMMA, LAMBDA, CLIP, ENTROPY, VALUE, MAX_NORM, EPOCHS, MINIBATCHES = 2.5e-4, 0.99, 0.95, 0.1, 0.01, 0.5, 0.5, 4, 8


def layer(module, gain):
    nn.init.orthogonal_(module.weight, gain)
    nn.init.zeros_(module.bias)
    return module


class Agent(nn.Module):
    def __init__(self, channels, actions):
        super().__init__()
        self.torso = nn.Sequential(layer(nn.Conv2d(channels, 16, 3), 2 ** 0.5), nn.ReLU(), nn.Flatten(),
                                   layer(nn.Linear(16 * 8 * 8, 128), 2 ** 0.5), nn.ReLU())
        self.policy = layer(nn.Linear(128, actions), 0.01)
        self.value = layer(nn.Linear(128, 1), 1.0)

    def forward(self, obs):
        features = self.torso(obs)
        return self.policy(features), self.value(features).squeeze(-1)


def to_tensor(obs):  # [N, 10, 10, C] bool -> [N, C, 10, 10] float
    return torch.as_tensor(np.asarray(obs, dtype=np.float32)).permute(0, 3, 1, 2).contiguous()


envs = gym.vector.SyncVectorEnv([lambda: gym.make(args.env) for _ in range(args.envs)])
obs, _ = envs.reset(seed=args.seed)
channels, actions = envs.single_observation_space.shape[2], envs.single_action_space.n
agent = Agent(channels, actions)
optimizer = torch.optim.Adam(agent.parameters(), lr=LR, eps=1e-5)
batch = args.envs * args.steps
updates = args.frames // batch
episode_return = np.zeros(args.envs)
out = open(args.out, "w") if args.out else None
start = time.perf_counter()
frames = 0
finished = []
for update in range(updates):
    optimizer.param_groups[0]["lr"] = LR * (1 - update / updates)
    o_buf = torch.zeros(args.steps, args.envs, channels, 10, 10)
    a_buf = torch.zeros(args.steps, args.envs, dtype=torch.long)
    logp_buf, r_buf, d_buf, v_buf = (torch.zeros(args.steps, args.envs) for _ in range(4))
    for t in range(args.steps):
        x = to_tensor(obs)
        with torch.no_grad():
            logits, value = agent(x)
        dist = torch.distributions.Categorical(logits=logits)
        action = dist.sample()
        o_buf[t], a_buf[t], logp_buf[t], v_buf[t] = x, action, dist.log_prob(action), value
        obs, reward, terminated, truncated, _ = envs.step(action.numpy())
        done = np.logical_or(terminated, truncated)
        episode_return += reward
        for j in np.nonzero(done)[0]:
            finished.append(episode_return[j])
            episode_return[j] = 0
        r_buf[t] = torch.as_tensor(reward, dtype=torch.float32)
        d_buf[t] = torch.as_tensor(done, dtype=torch.float32)
    frames += batch
    with torch.no_grad():
        _, next_value = agent(to_tensor(obs))
    advantages = torch.zeros_like(r_buf)
    gae = torch.zeros(args.envs)
    for t in reversed(range(args.steps)):
        value_next = next_value if t == args.steps - 1 else v_buf[t + 1]
        nonterminal = 1 - d_buf[t]
        delta = r_buf[t] + GAMMA * value_next * nonterminal - v_buf[t]
        gae = delta + GAMMA * LAMBDA * nonterminal * gae
        advantages[t] = gae
    returns = advantages + v_buf
    b_obs, b_act, b_logp = o_buf.reshape(batch, channels, 10, 10), a_buf.reshape(-1), logp_buf.reshape(-1)
    b_adv, b_ret, b_val = advantages.reshape(-1), returns.reshape(-1), v_buf.reshape(-1)
    size = batch // MINIBATCHES
    for _ in range(EPOCHS):
        order = torch.randperm(batch)
        for k in range(MINIBATCHES):
            idx = order[k * size:(k + 1) * size]
            logits, value = agent(b_obs[idx])
            dist = torch.distributions.Categorical(logits=logits)
            ratio = (dist.log_prob(b_act[idx]) - b_logp[idx]).exp()
            adv = b_adv[idx]
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            policy_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - CLIP, 1 + CLIP)).mean()
            clipped = b_val[idx] + (value - b_val[idx]).clamp(-CLIP, CLIP)
            value_loss = 0.5 * torch.max((value - b_ret[idx]) ** 2, (clipped - b_ret[idx]) ** 2).mean()
            loss = policy_loss - ENTROPY * dist.entropy().mean() + VALUE * value_loss
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(agent.parameters(), MAX_NORM)
            optimizer.step()
    recent = float(np.mean(finished[-100:])) if finished else None
    if out:
        out.write(json.dumps({"frames": frames, "seconds": time.perf_counter() - start, "return": recent}) + "\n")
        out.flush()

seconds = time.perf_counter() - start
evaluation = []
env = gym.make(args.env)
o, _ = env.reset(seed=args.seed + 10_000)
total = 0.0
while len(evaluation) < args.eval_episodes:
    with torch.no_grad():
        logits, _ = agent(to_tensor([o]))
    o, r, term, trunc, _ = env.step(int(torch.distributions.Categorical(logits=logits).sample()))
    total += r
    if term or trunc:
        evaluation.append(total)
        total = 0.0
        o, _ = env.reset()
print(json.dumps({"env": args.env, "seed": args.seed, "frames": frames, "seconds": seconds, "frames_per_second": frames / seconds,
                  "recent_return": float(np.mean(finished[-100:])) if finished else None,
                  "evaluation_return": float(np.mean(evaluation)), "torch_version": torch.__version__}))
