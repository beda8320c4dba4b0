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
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

ZOO = {
    "Pendulum-v1": dict(steps=20_000, kwargs=dict(learning_rate=1e-3)),
    "MountainCarContinuous-v0": dict(steps=50_000, kwargs=dict(
        learning_rate=3e-4, buffer_size=50_000, batch_size=512, ent_coef=0.1, train_freq=32, gradient_steps=32,
        gamma=0.9999, tau=0.01, learning_starts=0, use_sde=True,
        policy_kwargs=dict(log_std_init=-3.67, net_arch=[64, 64]))),
}


class SolveTimer(BaseCallback):
    def __init__(self, eval_env, interval, episodes, target):
        super().__init__()
        self.eval_env, self.interval, self.episodes, self.target = eval_env, interval, episodes, target
        self.next_eval = interval
        self.solved_steps = self.solved_seconds = self.last = None
        self.curve = []

    def _on_training_start(self):
        self.start = time.perf_counter()

    def _on_step(self):
        if self.num_timesteps < self.next_eval:
            return True
        self.next_eval += self.interval
        mean, _ = evaluate_policy(self.model, self.eval_env, n_eval_episodes=self.episodes, deterministic=True)
        self.last = float(mean)
        self.curve.append([self.num_timesteps, time.perf_counter() - self.start, self.last])
        if mean >= self.target and self.solved_steps is None:
            self.solved_steps = self.num_timesteps
            self.solved_seconds = time.perf_counter() - self.start
            return False
        return True


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
    print(json.dumps({"solved": timer.solved_steps is not None, "steps": timer.solved_steps,
                      "wall_seconds": timer.solved_seconds if timer.solved_seconds is not None else total,
                      "final_eval": timer.last, "curve": timer.curve}))


if __name__ == "__main__":
    main()
