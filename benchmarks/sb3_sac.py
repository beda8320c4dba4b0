"""Stable-Baselines3 SAC with rl-zoo's hyperparameters (rl-baselines3-zoo
hyperparams/sac.yml), timed to the same "solved" criterion as Herd's
benchmarks/sac_vs_sb3.sh.

Pendulum-v1: n_timesteps 20000, learning_rate 1e-3, everything else SB3's
SAC defaults (buffer 1e6, learning_starts 100, batch 256, tau 0.005, gamma
0.99, train_freq 1, gradient_steps 1, ent_coef auto, net_arch [256, 256]).
MountainCarContinuous-v0: n_timesteps 50000, learning_rate 3e-4,
buffer_size 50000, batch_size 512, ent_coef 0.1, train_freq 32,
gradient_steps 32, gamma 0.9999, tau 0.01, learning_starts 0, use_sde
True, policy_kwargs dict(log_std_init=-3.67, net_arch=[64, 64]).

Every `--eval-interval` environment steps the deterministic policy runs
`--eval-episodes` episodes on vectorised evaluation environments; the clock
(from the start of `learn`, evaluation included, as in Herd) stops at the
first mean ≥ target. Prints one JSON object: solved, steps, wall_seconds,
final_eval, curve ([steps, seconds, mean return] per evaluation).
"""
import argparse
import json
import time

from stable_baselines3 import SAC
from stable_baselines3.common.env_util import make_vec_env

from sb3_timer import SolveTimer

ZOO = {
    "Pendulum-v1": dict(steps=20_000, kwargs=dict(learning_rate=1e-3)),
    "MountainCarContinuous-v0": dict(steps=50_000, kwargs=dict(
        learning_rate=3e-4, buffer_size=50_000, batch_size=512, ent_coef=0.1, train_freq=32, gradient_steps=32,
        gamma=0.9999, tau=0.01, learning_starts=0, use_sde=True,
        policy_kwargs=dict(log_std_init=-3.67, net_arch=[64, 64]))),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--env", choices=sorted(ZOO), default="Pendulum-v1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-interval", type=int, default=1000)
    parser.add_argument("--eval-episodes", type=int, default=20)
    parser.add_argument("--target", type=float, default=-200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    zoo = ZOO[args.env]
    env = make_vec_env(args.env, n_envs=1, seed=args.seed)
    eval_env = make_vec_env(args.env, n_envs=args.eval_episodes, seed=args.seed + 1_000_003)
    model = SAC("MlpPolicy", env, seed=args.seed, device="cpu", **zoo["kwargs"])
    timer = SolveTimer(eval_env, args.eval_interval, args.eval_episodes, args.target)
    start = time.perf_counter()
    model.learn(total_timesteps=zoo["steps"], callback=timer)
    total = time.perf_counter() - start
    print(json.dumps(timer.result(total)))


if __name__ == "__main__":
    main()
