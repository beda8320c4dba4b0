"""Peer stepping benchmarks for benchmarks/envs_vs_peers.sh.

    python3 peer_envs.py gymnasium-async --envs 16 --steps 200000
    python3 peer_envs.py envpool --envs 128 --steps 2000000

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
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    if args.peer.startswith("gymnasium"):
        import gymnasium as gym
        make = gym.vector.AsyncVectorEnv if args.peer == "gymnasium-async" else gym.vector.SyncVectorEnv
        vec = make([lambda: gym.make(args.env) for _ in range(args.envs)])
        vec.reset(seed=0)
        version = gym.__version__
        n = vec.single_action_space.n
        steps, seconds = run(vec.step, lambda: rng.integers(n, size=args.envs), args.steps, args.envs)
        vec.close()
    else:
        import envpool
        pool = envpool.make(args.env, env_type="gymnasium", num_envs=args.envs, batch_size=args.envs, seed=0,
                            num_threads=args.threads)
        pool.reset()
        version = envpool.__version__
        n = pool.action_space.n
        steps, seconds = run(pool.step, lambda: rng.integers(n, size=args.envs), args.steps, args.envs)
    print(json.dumps({"peer": args.peer, "envs": args.envs, "threads": args.threads, "steps": steps, "seconds": seconds,
                      "steps_per_second": steps / seconds, "version": version}))


if __name__ == "__main__":
    main()
