#!/usr/bin/env python3
"""One hostile or broken remote worker, for the soak (benchmarks/soak.py)
and by hand: it connects to a learner's --listen endpoint, misbehaves in one
way for one connection, and prints one JSON line saying what it did and
what it got back.

    python3 benchmarks/hostile_peer.py --connect tcp://127.0.0.1:PORT --mode nan
        [--curve-key DIR/secret.key --server-key LEARNER/public.key] [--seconds 5]

Modes (each is a finding of issue 22 or a limit of envs/PROTOCOL.md):
  garbage     20 frames of random bytes, never a hello
  silent      hello, ready, then nothing (holds a place until the timeout)
  nan         answers every step with a NaN reward
  inf_obs     answers every step with an infinite observation
  big_reward  answers every step with a reward of 1e39 (a finite f64, not an f32)
  error       answers every step with error 2
  dup_final   answers every step with two final observations for environment 0
  chatty      hello, then ready again and again, out of turn

It speaks for CartPole (4 floats, 2 actions), the soak's environment. The
frame helpers come from envs/gymnasium_worker.py, so this needs what that
needs (numpy, pyzmq).
"""
import argparse, json, os, random, struct, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "envs"))
import zmq  # noqa: E402
from gymnasium_worker import (ACTIONS, ASSIGN, ERROR, F32, GOODBYE, HELLO, READY, RESET, RESULTS,  # noqa: E402
                              Malformed, WrongVersion, decode, frame, text)

MODES = ["garbage", "silent", "nan", "inf_obs", "big_reward", "error", "dup_final", "chatty"]
OBS, ACTS = 4, 2
K = [2]  # environments of the place assigned (assign's seed count)

parser = argparse.ArgumentParser()
parser.add_argument("--connect", required=True)
parser.add_argument("--mode", choices=MODES, required=True)
parser.add_argument("--seconds", type=float, default=5, help="longest time to stay connected")
parser.add_argument("--curve-key")
parser.add_argument("--server-key")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
rng = random.Random(args.seed)


def read_key(path):
    with open(path) as f:
        return next(line.strip() for line in f if line.strip() and not line.startswith("#")).encode()


context = zmq.Context()
sock = context.socket(zmq.DEALER)
sock.setsockopt(zmq.LINGER, 0)
if args.curve_key:
    secret = read_key(args.curve_key)
    sock.curve_secretkey = secret
    sock.curve_publickey = zmq.curve_public(secret)
    sock.curve_serverkey = read_key(args.server_key)
sock.connect(args.connect)


def ready():
    body = struct.pack("<IIBIBIB", K[0], OBS, F32, 1, 0, ACTS, 1) + struct.pack("<I", OBS)
    return frame(READY, 0, body)


def results(sequence, reward=0.0, observation=0.01, finals=()):
    k = K[0]
    body = struct.pack("<IIB", k, OBS, F32) + struct.pack(f"<{k * OBS}f", *([observation] * (k * OBS)))
    body += struct.pack(f"<{k}d", *([reward] * k))
    flags = [1 if i in {f for f in finals} else 0 for i in range(k)]
    body += bytes(flags) + struct.pack("<I", len(finals))
    for index in finals:
        body += struct.pack("<I", index) + struct.pack(f"<{OBS}f", *([0.02] * OBS))
    return frame(RESULTS, sequence, body)


def step_answer(sequence):
    mode = args.mode
    if mode == "nan":
        return results(sequence, reward=float("nan"))
    if mode == "inf_obs":
        return results(sequence, observation=float("inf"))
    if mode == "big_reward":
        return results(sequence, reward=1e39)
    if mode == "error":
        return frame(ERROR, sequence, struct.pack("<H", 2) + text("hostile: no such action", 32))
    if mode == "dup_final":
        return results(sequence, finals=(0, 0))
    return results(sequence)


got, sent_bad, assigned = [], 0, False
deadline = time.time() + args.seconds
if args.mode == "garbage":
    for _ in range(20):
        sock.send(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))
        sent_bad += 1
else:
    sock.send(frame(HELLO, 0, struct.pack("<II", 1024, os.getpid()) + text(f"hostile-{args.mode}", 16)))
poller = zmq.Poller()
poller.register(sock, zmq.POLLIN)
while time.time() < deadline:
    if not poller.poll(50):
        continue
    data = sock.recv()
    try:
        kind, sequence, body = decode(data)
    except (Malformed, WrongVersion) as error:
        got.append(f"malformed: {error}")
        continue
    got.append(kind)
    if kind == GOODBYE:
        break
    if kind == ASSIGN:
        assigned = True
        K[0] = len(body[2])
        sock.send(ready())
        if args.mode == "chatty":
            for _ in range(200):
                sock.send(ready())
                sent_bad += 1
    elif kind == RESET and args.mode != "silent":
        sock.send(results(sequence))
    elif kind == ACTIONS and args.mode not in ("silent", "chatty"):
        sock.send(step_answer(sequence))
        sent_bad += 1
names = {ASSIGN: "assign", RESET: "reset", ACTIONS: "actions", GOODBYE: "goodbye", ERROR: "error", 7: "heartbeat"}
print(json.dumps({"mode": args.mode, "assigned": assigned, "sent_bad": sent_bad,
                  "got": [names.get(k, str(k)) for k in got][:12], "told_goodbye": GOODBYE in got}), flush=True)
