"""Stable-Baselines3 PPO (or, with --algo dqn, DQN) on CartPole-v1 with
rl-zoo's hyperparameters, timed to the same "solved" criterion Herd's
benchmark uses.

rl-zoo (hyperparams/ppo.yml, CartPole-v1): n_envs 8, n_steps 32, batch_size
256, gae_lambda 0.8, gamma 0.98, n_epochs 20, ent_coef 0.0, learning_rate
lin_0.001, clip_range lin_0.2, 1e5 timesteps. rl-zoo (hyperparams/dqn.yml,
CartPole-v1): learning_rate 2.3e-3, batch_size 64, buffer_size 1e5,
learning_starts 1000, gamma 0.99, target_update_interval 10, train_freq 256,
gradient_steps 128, exploration_fraction 0.16, exploration_final_eps 0.04,
net_arch [256, 256], 5e4 timesteps, one environment. Every `--eval-interval`
environment steps the deterministic policy runs `--eval-episodes` episodes on
100 vectorised evaluation environments; the clock (from the start of
`learn`, evaluation included, as in Herd) stops at the first mean ≥ target.

Prints one JSON object: solved, steps, wall_seconds, final_eval, and curve
(every evaluation as [steps, seconds, mean return]).
"""
import argparse
import json
import time

import gymnasium as gym
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

from sb3_timer import SolveTimer


def linear(start):
    return lambda progress_remaining: progress_remaining * start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--eval-interval", type=int, default=10_000)
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--target", type=float, default=475)
    parser.add_argument("--algo", choices=["ppo", "dqn"], default="ppo")
    parser.add_argument("--keep-going", action="store_true", help="train all --steps instead of stopping when solved")
    args = parser.parse_args()

    import torch
    torch.set_num_threads(1)
    eval_env = make_vec_env("CartPole-v1", n_envs=100, seed=args.seed + 1_000_003)
    if args.algo == "ppo":
        env = make_vec_env("CartPole-v1", n_envs=8, seed=args.seed)
        model = PPO("MlpPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20,
                    ent_coef=0.0, learning_rate=linear(1e-3), clip_range=linear(0.2), seed=args.seed, device="cpu")
    else:
        from stable_baselines3 import DQN
        env = make_vec_env("CartPole-v1", n_envs=1, seed=args.seed)
        model = DQN("MlpPolicy", env, learning_rate=2.3e-3, batch_size=64, buffer_size=100_000, learning_starts=1000,
                    gamma=0.99, target_update_interval=10, train_freq=256, gradient_steps=128, exploration_fraction=0.16,
                    exploration_final_eps=0.04, policy_kwargs=dict(net_arch=[256, 256]), seed=args.seed, device="cpu")
    timer = SolveTimer(eval_env, args.eval_interval, args.eval_episodes, args.target if not args.keep_going else float("inf"))
    start = time.perf_counter()
    model.learn(total_timesteps=args.steps, callback=timer)
    total = time.perf_counter() - start
    print(json.dumps(timer.result(total)))


if __name__ == "__main__":
    main()
