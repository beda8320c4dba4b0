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
  out_of_bounds  declares a Box of [-1, 1] at ready, then observes 2

It speaks for CartPole (4 floats, 2 actions), the soak's environment, with
its own few lines of framing (only numpy-free standard Python and pyzmq), so
that starting one costs the machine little: what it costs the learner is
what is measured. With --repeat it connects again and again (a new routing
id each time) until --seconds have passed, as a flooding peer would: at
once after a goodbye, and with CURVE at once after the learner fails its
handshake (a key barred by admission control is turned away there), the
worst a peer that ignores "try again in N s" can do.
"""
import argparse, json, os, random, struct, sys, time

import zmq  # noqa: E402

MAGIC, VERSION, F32 = b"HERD", 2, 0
HEADER = struct.Struct("<4sHBBQ")  # envs/PROTOCOL.md: magic, version, kind, flags, sequence
HELLO, ASSIGN, READY, RESET, ACTIONS, RESULTS, HEARTBEAT, GOODBYE, ERROR = range(1, 10)


def frame(kind, sequence, body=b""):
    return HEADER.pack(MAGIC, VERSION, kind, 0, sequence) + body


def text(value, width):
    data = value.encode("utf-8")
    return struct.pack("<H" if width == 16 else "<I", len(data)) + data

MODES = ["garbage", "silent", "nan", "inf_obs", "big_reward", "error", "dup_final", "chatty", "out_of_bounds"]
OBS, ACTS = 4, 2
K = [2]  # environments of the place assigned (assign's seed count)

parser = argparse.ArgumentParser()
parser.add_argument("--connect", required=True)
parser.add_argument("--mode", choices=MODES, required=True)
parser.add_argument("--seconds", type=float, default=5, help="longest time to stay connected (with --repeat: to keep coming back)")
parser.add_argument("--repeat", action="store_true", help="connect again after each goodbye or --connection-seconds")
parser.add_argument("--connection-seconds", type=float, default=3)
parser.add_argument("--curve-key")
parser.add_argument("--server-key")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--source", help="local IP to connect from (e.g. 127.0.0.2), so that a learner without CURVE sees an address of its own")
args = parser.parse_args()
rng = random.Random(args.seed)


def read_key(path):
    with open(path) as f:
        return next(line.strip() for line in f if line.strip() and not line.startswith("#")).encode()


context = zmq.Context()


def connect():
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    if args.curve_key:
        secret = read_key(args.curve_key)
        sock.curve_secretkey = secret
        sock.curve_publickey = zmq.curve_public(secret)
        sock.curve_serverkey = read_key(args.server_key)
    monitor = sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_FAILED_AUTH) if args.curve_key else None
    # libzmq's "tcp://SOURCE:0;HOST:PORT" connects from SOURCE.
    sock.connect(args.connect.replace("tcp://", f"tcp://{args.source}:0;", 1) if args.source else args.connect)
    return sock, monitor


def ready():
    body = struct.pack("<IIBIBIB", K[0], OBS, F32, 1, 0, ACTS, 1) + struct.pack("<I", OBS)
    if args.mode == "out_of_bounds":
        body += struct.pack(f"<{OBS}f", *([-1.0] * OBS)) + struct.pack(f"<{OBS}f", *([1.0] * OBS))
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
    if mode == "out_of_bounds":
        return results(sequence, observation=2.0)
    return results(sequence)


def one_connection(until):
    """Misbehaves over one connection until goodbye or `until`; returns what it did."""
    global sent_bad, assigned, told_goodbye, turned_away
    sock, monitor = connect()
    if args.mode == "garbage":
        for _ in range(20):
            sock.send(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64))))
            sent_bad += 1
    else:
        sock.send(frame(HELLO, 0, struct.pack("<II", 1024, os.getpid()) + text(f"hostile-{args.mode}", 16)))
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)
    if monitor is not None:
        poller.register(monitor, zmq.POLLIN)
    while time.time() < until:
        ready_sockets = dict(poller.poll(50))
        if monitor is not None and monitor in ready_sockets:
            turned_away += 1  # libzmq gives up on this connection: come back at once
            break
        if sock not in ready_sockets:
            continue
        data = sock.recv()
        if len(data) < HEADER.size:
            continue
        _, _, kind, _, sequence = HEADER.unpack_from(data)
        got.append(kind)
        if kind == GOODBYE:
            told_goodbye += 1
            break
        if kind == ASSIGN:
            assigned += 1
            K[0] = struct.unpack_from("<I", data, HEADER.size + 8)[0]  # worker index, first id, then the seed count
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
    if monitor is not None:
        sock.disable_monitor()
        monitor.close()
    sock.close()


got, sent_bad, assigned, told_goodbye, turned_away, connections = [], 0, 0, 0, 0, 0
deadline = time.time() + args.seconds
while True:
    connections += 1
    one_connection(min(deadline, time.time() + args.connection_seconds) if args.repeat else deadline)
    if not args.repeat or time.time() >= deadline:
        break
names = {ASSIGN: "assign", RESET: "reset", ACTIONS: "actions", GOODBYE: "goodbye", ERROR: "error", HEARTBEAT: "heartbeat"}
print(json.dumps({"mode": args.mode, "connections": connections, "assigned": assigned, "sent_bad": sent_bad,
                  "got": [names.get(k, str(k)) for k in got][:12], "told_goodbye": told_goodbye,
                  "turned_away": turned_away}), flush=True)
