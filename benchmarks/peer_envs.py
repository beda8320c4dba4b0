"""Peer stepping benchmarks for benchmarks/envs_vs_peers.sh.

    python3 peer_envs.py gymnasium-async --envs 16 --steps 200000
    python3 peer_envs.py envpool --envs 128 --steps 2000000
    python3 peer_envs.py gymnasium-async --atari --env ALE/Pong-v5 --envs 32 --steps 20000

With --atari, the environment is an ALE id with the preprocessing of
configs/pong_vtrace.yaml (frameskip 1 and no sticky actions in gym.make, then
Gymnasium's AtariPreprocessing with 30 no-op starts, frame skip 4, 84x84
grayscale, life loss terminal, then a 4-frame FrameStackObservation); for
EnvPool its own Atari preprocessing with the same settings (its id without
"ALE/"). Steps are agent steps; frames are 4 per step.

Steps CartPole-v1 with uniformly random actions drawn each step on the
caller's side (the same workload as `herd bench envs`), after a warm-up of a
tenth as many steps, and prints {"peer", "envs", "threads", "steps", "seconds",
"steps_per_second", "version"} as JSON. Gymnasium's AsyncVectorEnv runs each
environment in its own process; EnvPool runs them on C++ threads in this
process, synchronously (batch_size = num_envs).
"""
import argparse
import json
import time

import numpy as np


def run(step, actions_for, steps, envs):
    done = 0
    warm = max(steps // 10, envs)
    while done < warm:
        step(actions_for())
        done += envs
    done = 0
    start = time.perf_counter()
    while done < steps:
        step(actions_for())
        done += envs
    return done, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("peer", choices=["gymnasium-async", "gymnasium-sync", "envpool"])
    parser.add_argument("--envs", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--env", default="CartPole-v1")
    parser.add_argument("--threads", type=int, default=0, help="EnvPool num_threads (0: its default)")
    parser.add_argument("--atari", action="store_true", help="ALE id with the standard preprocessing")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    if args.peer.startswith("gymnasium"):
        import gymnasium as gym
        make = gym.vector.AsyncVectorEnv if args.peer == "gymnasium-async" else gym.vector.SyncVectorEnv

        def one():
            if not args.atari:
                return gym.make(args.env)
            import ale_py  # noqa: F401  (registers the ALE ids)
            env = gym.make(args.env, frameskip=1, repeat_action_probability=0.0)
            env = gym.wrappers.AtariPreprocessing(env, noop_max=30, frame_skip=4, screen_size=84,
                                                  terminal_on_life_loss=True, grayscale_obs=True)
            return gym.wrappers.FrameStackObservation(env, stack_size=4)

        vec = make([one for _ in range(args.envs)])
        vec.reset(seed=0)
        version = gym.__version__
        n = vec.single_action_space.n
        steps, seconds = run(vec.step, lambda: rng.integers(n, size=args.envs), args.steps, args.envs)
        vec.close()
    else:
        import envpool
        options = {}
        if args.atari:
            options = dict(episodic_life=True, reward_clip=False, noop_max=30, frame_skip=4, stack_num=4, img_height=84,
                           img_width=84, gray_scale=True, repeat_action_probability=0.0)
        pool = envpool.make(args.env.removeprefix("ALE/"), env_type="gymnasium", num_envs=args.envs, batch_size=args.envs, seed=0,
                            num_threads=args.threads, **options)
        pool.reset()
        version = envpool.__version__
        n = pool.action_space.n
        steps, seconds = run(pool.step, lambda: rng.integers(n, size=args.envs), args.steps, args.envs)
    print(json.dumps({"peer": args.peer, "envs": args.envs, "threads": args.threads, "steps": steps, "seconds": seconds,
                      "steps_per_second": steps / seconds, "version": version}))


if __name__ == "__main__":
    main()
