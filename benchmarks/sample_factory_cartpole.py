"""Sample Factory 2.1.1 APPO on CartPole-v1, timed to the same "solved"
criterion as Herd's benchmark and sb3_ppo_cartpole.py.

Hyperparameters are Sample Factory's own CartPole-v1 example
(sf_examples/train_gym_env.py in alex-petrenko/sample-factory): APPO,
use_rnn False, recurrence 1, with_vtrace False, batch_size 512, reward_scale
0.1, num_envs_per_worker 20, policy_workers_per_policy 2; everything else is
SF's default (rollout 32, 1 epoch of 1 minibatch per batch, Adam lr 1e-4,
gamma 0.99, gae_lambda 0.95, ppo_clip_ratio 0.1, exploration_loss_coeff
0.003, encoder MLP [512, 512] elu, input and return normalisation). The
example's num_workers is SF's default, the CPU count (2 here: `--workers`).
CPU only, asynchronous rollout workers (the parallel runner, one process per
rollout worker, inference worker and learner; SF pins each of those to one
torch thread, and this process uses one too). Training environment i is
reset first with seed `--seed` + i (SF itself seeds with i).

Evaluation: an observer in SF's runner process (AlgoObserver.on_training_step)
watches the learner's env-frame count; every `--eval-interval` frames it
takes the policy lock, pauses every SF process (SIGSTOP), copies the
learner's shared-memory weights into a local copy of the model, runs the
greedy (argmax) policy for `--eval-episodes` episodes on 100 CartPole-v1
environments (first reset seeded `--seed` + 1_000_003 + i, as sb3's
make_vec_env does), and resumes the processes (SIGCONT). Training therefore
does not advance during an evaluation, as in Herd and SB3. The clock starts
when SF's runner starts its processes (process start-up included, SF's
config parsing and env probing not); `wall_seconds` is the clock at the end
of the first evaluation with mean >= target, evaluations included, and
training stops there unless `--keep-going`. `steps` are the learner's env
frames as last reported to the runner when that evaluation began (SF's
"Total num frames"; they can trail the evaluated weights by an iteration,
512 frames).

`startup_seconds` is the clock at the runner's first training iteration
(SF's processes started, their first rollouts collected): Herd's and SB3's
clocks start with their environments already running, so a comparison with
them subtracts it (benchmarks/suite.py does).

`training_steps_per_second` is env frames trained on between the first and
the last training iteration the runner saw, divided by the wall seconds
between them minus the evaluation pauses in that span: steady-state learning
throughput, excluding process start-up and evaluation. `total_steps` and
`total_seconds` are the frames and clock when training stopped.

Prints one JSON line on stdout: solved, steps, wall_seconds, final_eval,
curve ([frames, seconds, mean return] per evaluation),
training_steps_per_second, total_steps, total_seconds, startup_seconds,
evaluation_seconds (the pauses for evaluations, in wall_seconds).
SF's own log goes to
stderr.
"""
import argparse
import json
import os
import signal
import sys
import tempfile
import time

import gymnasium as gym
import numpy as np

EVAL_ENVS = 100


class SeedOffset(gym.Wrapper):
    """Adds `offset` to any seed SF passes to reset (SF seeds env i with i)."""

    def __init__(self, env, offset):
        super().__init__(env)
        self.offset = offset

    def reset(self, *, seed=None, options=None):
        return self.env.reset(seed=None if seed is None else seed + self.offset, options=options)


def make_cartpole(full_env_name, cfg=None, env_config=None, render_mode=None):
    env = gym.make(full_env_name, render_mode=render_mode)
    return SeedOffset(env, cfg.seed if cfg is not None and cfg.seed is not None else 0)


def sf_argv(args, train_dir):
    return [
        "--algo=APPO", "--env=CartPole-v1", "--experiment=cartpole", f"--train_dir={train_dir}",
        "--restart_behavior=overwrite", "--device=cpu", f"--seed={args.seed}",
        f"--num_workers={args.workers}", f"--num_envs_per_worker={args.envs_per_worker}",
        # sf_examples/train_gym_env.py's CartPole-v1 command line:
        "--use_rnn=False", "--recurrence=1", "--with_vtrace=False", "--batch_size=512", "--reward_scale=0.1",
        "--policy_workers_per_policy=2", "--experiment_summaries_interval=10",
        f"--train_for_env_steps={args.steps}",
        # checkpoints are not needed (the evaluator reads the shared weights); SF still saves one at the end
        "--save_every_sec=100000", "--save_best_every_sec=100000",
    ]


def build_evaluator(args, runner):
    """Creates the observer; imports SF lazily so that spawned workers importing this module stay light."""
    import torch
    from signal_slot.signal_slot import EventLoopObject
    from sample_factory.algo.runners.runner import AlgoObserver
    from sample_factory.algo.utils.action_distributions import argmax_actions
    from sample_factory.algo.utils.rl_utils import prepare_and_normalize_obs
    from sample_factory.model.actor_critic import create_actor_critic
    from sample_factory.model.model_utils import get_rnn_size

    class Evaluator(EventLoopObject, AlgoObserver):
        def __init__(self):
            EventLoopObject.__init__(self, runner.event_loop, "cartpole_evaluator")
            self.shared_weights = None
            self.next_eval = args.eval_interval
            self.target = float("inf") if args.keep_going else args.target
            self.solved_steps = self.solved_seconds = self.last = None
            self.curve = []
            self.start = None
            self.paused_seconds = 0.0
            self.first_iter = None  # (steps, clock, paused seconds) at the first training iteration
            self.last_iter = None
            self.stop_steps = self.stop_seconds = None
            self.envs = [gym.make("CartPole-v1") for _ in range(EVAL_ENVS)]
            self.env_seeded = False

        def clock(self):
            return time.perf_counter() - self.start

        # --- AlgoObserver hooks (runner process) ---
        def on_init(self, r):
            self.model = create_actor_critic(r.cfg, r.env_info.obs_space, r.env_info.action_space)
            for p in self.model.parameters():
                p.requires_grad = False
            self.model.eval()
            self.rnn_size = get_rnn_size(r.cfg)

        def on_connect_components(self, r):
            self.lock = r.learners[0].param_server.policy_lock
            # the learner broadcasts (policy_id, shared-memory state_dict, device, version) once initialised
            r.learners[0].model_initialized.connect(self.on_model_initialized)

        def on_model_initialized(self, init_model_data):
            self.shared_weights = init_model_data[1]

        def on_training_step(self, r, iteration):
            steps = r.env_steps.get(0)
            if steps is None:
                return
            now = self.clock()
            self.last_iter = (steps, now, self.paused_seconds)
            if self.first_iter is None:
                self.first_iter = self.last_iter
            if steps < self.next_eval or self.shared_weights is None:
                return
            while self.next_eval <= steps:
                self.next_eval += args.eval_interval
            pause_start = time.perf_counter()
            self.pause_and_load(r)
            try:
                mean = self.evaluate()
            finally:
                self.resume(r)
            self.paused_seconds += time.perf_counter() - pause_start
            self.last = mean
            self.curve.append([steps, self.clock(), mean])
            print(f"[eval] frames {steps} t {self.clock():.1f}s mean {mean:.1f}", file=sys.stderr, flush=True)
            if mean >= self.target and self.solved_steps is None:
                self.solved_steps, self.solved_seconds = steps, self.clock()
                r._stop_training()  # what SF itself calls when train_for_env_steps is reached

        def on_stop(self, r):
            if self.stop_seconds is None:
                self.stop_steps, self.stop_seconds = r.env_steps.get(0, 0), self.clock()

        # --- pausing SF while evaluating ---
        def pids(self, r):
            return [p._process.pid for p in list(r.processes) + list(r.sampler.processes) if p._process.pid]

        def pause_and_load(self, r):
            with self.lock:  # the learner holds this while it writes new weights
                for pid in self.pids(r):
                    os.kill(pid, signal.SIGSTOP)
                self.model.load_state_dict(self.shared_weights)

        def resume(self, r):
            for pid in self.pids(r):
                try:
                    os.kill(pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass

        # --- greedy evaluation: env i plays (episodes + i) // 100 episodes, as sb3's evaluate_policy ---
        def evaluate(self):
            n = len(self.envs)
            quota = [(args.eval_episodes + i) // n for i in range(n)]
            obs = np.zeros((n, 4), dtype=np.float32)
            for i, env in enumerate(self.envs):
                seed = args.seed + 1_000_003 + i if not self.env_seeded else None
                obs[i] = env.reset(seed=seed)[0]
            self.env_seeded = True
            returns, current = [], np.zeros(n)
            done_count = [0] * n
            active = [i for i in range(n) if quota[i] > 0]
            with torch.inference_mode():
                while active:
                    batch = {"obs": torch.from_numpy(obs[active])}
                    normalized = prepare_and_normalize_obs(self.model, batch)
                    rnn_states = torch.zeros([len(active), self.rnn_size])
                    head = self.model.forward_head(normalized)
                    core, _ = self.model.forward_core(head, rnn_states)
                    self.model.forward_tail(core, values_only=False, sample_actions=False)
                    actions = argmax_actions(self.model.action_distribution()).reshape(-1).numpy()
                    still = []
                    for a, i in zip(actions, active):
                        o, rew, term, trunc, _ = self.envs[i].step(int(a))
                        current[i] += rew
                        if term or trunc:
                            returns.append(current[i])
                            current[i] = 0.0
                            done_count[i] += 1
                            o = self.envs[i].reset()[0]
                        obs[i] = o
                        if done_count[i] < quota[i]:
                            still.append(i)
                    active = still
            return float(np.mean(returns))

        def result(self):
            total_seconds = self.stop_seconds if self.stop_seconds is not None else self.clock()
            total_steps = self.stop_steps if self.stop_steps is not None else runner.env_steps.get(0, 0)
            tps = None
            if self.first_iter is not None and self.last_iter is not None and self.last_iter[0] > self.first_iter[0]:
                s0, t0, p0 = self.first_iter
                s1, t1, p1 = self.last_iter
                tps = (s1 - s0) / ((t1 - t0) - (p1 - p0))
            return {"solved": self.solved_steps is not None, "steps": self.solved_steps,
                    "wall_seconds": self.solved_seconds if self.solved_seconds is not None else total_seconds,
                    "final_eval": self.last, "curve": self.curve,
                    "training_steps_per_second": tps, "total_steps": total_steps, "total_seconds": total_seconds,
                    "startup_seconds": self.first_iter[1] if self.first_iter else None,
                    "evaluation_seconds": self.paused_seconds}

    return Evaluator()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--eval-interval", type=int, default=10_000)
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--target", type=float, default=475)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--envs-per-worker", type=int, default=20)
    parser.add_argument("--keep-going", action="store_true", help="train all --steps instead of stopping when solved")
    args = parser.parse_args()

    # Everything (SF's log, its worker processes) writes to stderr; only the JSON goes to the real stdout.
    json_out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    import torch
    torch.set_num_threads(1)
    from sample_factory.algo.utils.misc import ExperimentStatus
    from sample_factory.cfg.arguments import parse_full_cfg, parse_sf_args
    from sample_factory.envs.env_utils import register_env
    from sample_factory.train import make_runner

    register_env("CartPole-v1", make_cartpole)
    with tempfile.TemporaryDirectory(prefix="sf_cartpole_") as train_dir:
        argv = sf_argv(args, train_dir)
        sf_parser, _ = parse_sf_args(argv=argv)
        cfg = parse_full_cfg(sf_parser, argv)
        cfg, runner = make_runner(cfg)
        evaluator = build_evaluator(args, runner)
        runner.register_observer(evaluator)
        status = runner.init()
        if status != ExperimentStatus.SUCCESS:
            raise SystemExit(f"Sample Factory runner.init() failed with status {status}")
        evaluator.start = time.perf_counter()
        status = runner.run()
        if status != ExperimentStatus.SUCCESS:
            print(f"Sample Factory finished with status {status}", file=sys.stderr)
        result = evaluator.result()
        first = evaluator.first_iter[1] if evaluator.first_iter else None
        print(f"[summary] first training iteration at {first} s (process start-up), "
              f"{len(evaluator.curve)} evaluations took {evaluator.paused_seconds:.2f} s in all", file=sys.stderr)
    json_out.write(json.dumps(result) + "\n")
    json_out.flush()


if __name__ == "__main__":
    main()
