"""The clock both SB3 benchmark scripts use: every `interval` environment
steps the deterministic policy runs `episodes` episodes on `eval_env`; the
clock (from the start of `learn`, evaluation included, as in Herd) stops
at the first mean at or above `target`, and training ends there."""
import time

from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.evaluation import evaluate_policy


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

    def result(self, total_seconds):
        """The JSON object the scripts print: solved, steps, wall_seconds, final_eval, curve."""
        return {"solved": self.solved_steps is not None, "steps": self.solved_steps,
                "wall_seconds": self.solved_seconds if self.solved_seconds is not None else total_seconds,
                "final_eval": self.last, "curve": self.curve}
