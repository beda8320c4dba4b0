#!/usr/bin/env python3
"""Serve Gymnasium environments to a Herd learner over ZeroMQ.

Implements the worker side of Herd's environment protocol, version 2
(envs/PROTOCOL.md): connect a DEALER to the learner, say hello, build the
assigned `gymnasium:<id>` environments with `gym.make(id, **settings)`,
answer `reset` and `actions` with `results` (same-step auto-reset, final
observations reported), heartbeat while idle, and exit on `goodbye`, on
learner silence, or when the parent process goes away.

    python3 envs/gymnasium_worker.py --connect ipc:///tmp/herd.sock [--identity ID]

Requirements: envs/requirements.txt (gymnasium, numpy, pyzmq).
"""
import argparse
import json
import os
import signal
import socket as host
import struct
import sys
import time

import gymnasium as gym
import numpy as np
import zmq

MAGIC = b"HERD"
VERSION = 2
F32, U8, BF16 = 0, 1, 2  # observation dtypes
NATIVE, AS_BF16, AS_F32 = 0, 1, 2  # observation encodings the learner asks for
HEADER = struct.Struct("<4sHBBQ")  # magic, version, kind, flags, sequence
HELLO, ASSIGN, READY, RESET, ACTIONS, RESULTS, HEARTBEAT, GOODBYE, ERROR, FRAME = range(1, 11)
ERR_BUILD, ERR_ACTION, ERR_BAD_MESSAGE, ERR_INTERNAL = 1, 2, 3, 4
MAX_ENVS, MAX_ACTION, MAX_TEXT, MAX_SETTINGS = 65536, 4096, 4096, 1 << 16
MAX_MESSAGE = 256 << 20


class Malformed(Exception):
    """A frame that fails validation (PROTOCOL.md, "Validation")."""


class WrongVersion(Exception):
    """A frame of another protocol version: the learner is another Herd."""


class Reader:
    def __init__(self, data):
        self.data, self.offset = data, 0

    def take(self, n):
        if n < 0 or self.offset + n > len(self.data):
            raise Malformed(f"truncated frame: needs {self.offset + n} bytes, has {len(self.data)}")
        chunk = self.data[self.offset:self.offset + n]
        self.offset += n
        return chunk

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def count(self, field, limit):
        value = self.u32()
        if value > limit:
            raise Malformed(f"{field} = {value} exceeds the limit {limit}")
        return value

    def text(self, width, field, limit):
        (n,) = struct.unpack("<H" if width == 16 else "<I", self.take(width // 8))
        if n > limit:
            raise Malformed(f"{field} bytes = {n} exceeds the limit {limit}")
        try:
            return self.take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed(f"{field} is not UTF-8")

    def finish(self):
        if self.offset != len(self.data):
            raise Malformed(f"{len(self.data) - self.offset} bytes after the end of the message")


def decode(frame):
    """(kind, sequence, body) of a learner → worker message, validated."""
    if len(frame) > MAX_MESSAGE:
        raise Malformed("message too large")
    if len(frame) < HEADER.size:
        raise Malformed(f"truncated frame: needs {HEADER.size} bytes, has {len(frame)}")
    magic, version, kind, flags, sequence = HEADER.unpack_from(frame)
    if magic != MAGIC:
        raise Malformed("not a Herd frame (bad magic)")
    if version != VERSION:
        raise WrongVersion(version)
    if flags != 0:
        raise Malformed(f"header flags must be 0, got {flags}")
    r = Reader(frame[HEADER.size:])
    if kind == ASSIGN:
        worker_index, first_id = r.u32(), r.u32()
        k = r.count("environment count", MAX_ENVS)
        seeds = list(struct.unpack(f"<{k}Q", r.take(8 * k)))
        name = r.text(16, "environment name", MAX_TEXT)
        settings = r.text(32, "settings", MAX_SETTINGS)
        encoding = r.take(1)[0]
        if encoding not in (NATIVE, AS_BF16, AS_F32):
            raise Malformed(f"observation encoding {encoding} (0 native, 1 bf16, 2 f32)")
        body = (worker_index, first_id, seeds, name, settings, encoding)
    elif kind == ACTIONS:
        k = r.count("environment count", MAX_ENVS)
        size = r.count("action size", MAX_ACTION)
        body = (k, size, np.frombuffer(r.take(4 * k * size), dtype="<f4").reshape(k, size))
    elif kind in (RESET, HEARTBEAT, GOODBYE):
        body = None
    elif kind == ERROR:  # the learner's refusal (5) or limit (6); goodbye follows
        code = struct.unpack("<H", r.take(2))[0]
        body = (code, r.text(32, "error message", MAX_TEXT))
    elif kind in (HELLO, READY, RESULTS, FRAME):
        raise Malformed(f"unexpected message kind {kind} from the learner")
    else:
        raise Malformed(f"unknown message kind {kind}")
    r.finish()
    return kind, sequence, body


def frame(kind, sequence, body=b""):
    return HEADER.pack(MAGIC, VERSION, kind, 0, sequence) + body


def text(value, width):
    data = value.encode("utf-8")
    return struct.pack("<H" if width == 16 else "<I", len(data)) + data


class EpisodicLife(gym.Wrapper):
    """A lost life ends the training episode but not the game (Mnih et al.
    2015; SB3's EpisodicLifeEnv behaves the same): the step that loses a life,
    with lives left, is terminated, and the reset that follows plays on with
    one no-op step instead of restarting the game. Only the real game over
    resets it. Needs an ALE environment (`unwrapped.ale`)."""

    def __init__(self, env):
        super().__init__(env)
        self.lives = 0
        self.game_over = True

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.game_over = terminated or truncated
        lives = self.env.unwrapped.ale.lives()
        if 0 < lives < self.lives:
            terminated = True
        self.lives = lives
        return obs, reward, terminated, truncated, info

    def reset(self, **kwargs):
        if self.game_over:
            obs, info = self.env.reset(**kwargs)
        else:
            obs, _, terminated, truncated, info = self.env.step(0)
            if terminated or truncated:
                obs, info = self.env.reset(**kwargs)
        self.game_over = False
        self.lives = self.env.unwrapped.ale.lives()
        return obs, info


# Wrappers this worker provides besides gymnasium.wrappers' classes.
HERD_WRAPPERS = {"EpisodicLife": EpisodicLife}


def wrapper_class(name):
    return HERD_WRAPPERS.get(name) or getattr(gym.wrappers, name, None)


class ObservationCodec:
    """How one observation space crosses the wire: its shape, dtype and
    flattening (PROTOCOL.md, "Observation spaces over the bridge"; docs/environments.md).

    - Box of any dtype and shape: its values; uint8 and bool as bytes, others
      as float32 (bfloat16 when the learner asks). An image (rank 3, or rank
      4 for a stack of images) that is height x width x channels is sent
      channels first: [C, H, W], a stack [S*C, H, W].
    - Discrete(n): one-hot over n (SB3's encoding), or its index.
    - MultiBinary: its bits, flattened, as bytes.
    - MultiDiscrete, Tuple and Dict: gymnasium.spaces.flatten (one-hot for
      each discrete part, parts in the space's order: Dict by its keys'
      order), as float32.
    Anything else (Text, Graph, Sequence, OneOf, or a space of Herd's own)
    is refused here, before training, naming the space.
    """

    def __init__(self, space, encoding, discrete_as="one_hot", image_layout="auto"):
        self.space, self.kind, self.transpose = space, None, None
        problem = unsupported_part(space)
        if problem is not None:
            where = "" if problem is space else f" (in {space})"
            raise ValueError(f"the observation space {problem}{where} cannot be carried: Herd's bridge takes Box, Discrete, "
                             "MultiBinary, MultiDiscrete, and Tuple or Dict of those; wrap the environment "
                             "(environment.wrappers) in an ObservationWrapper that maps it to one of them")
        if isinstance(space, gym.spaces.Discrete):
            self.kind = "one_hot" if discrete_as == "one_hot" else "index"
            self.start = int(space.start)
            self.shape = (int(space.n),) if self.kind == "one_hot" else (1,)
        elif isinstance(space, gym.spaces.Box):
            self.kind = "box"
            shape = tuple(int(d) for d in space.shape) or (1,)
            if image_layout == "hwc" or (image_layout == "auto" and looks_hwc(space)):
                if len(shape) not in (3, 4):
                    raise ValueError(f"herd_image_layout is hwc, but the observations {space} are not images of rank 3 or 4")
                if len(shape) == 3:
                    self.transpose = (2, 0, 1)
                    shape = (shape[2], shape[0], shape[1])
                else:
                    self.transpose = (0, 3, 1, 2)
                    shape = (shape[0] * shape[3], shape[1], shape[2])
            self.shape = shape
        elif isinstance(space, gym.spaces.MultiBinary):
            self.kind = "bits"
            self.shape = (int(np.prod(space.shape)),)
        else:  # MultiDiscrete, Tuple, Dict
            self.kind = "flatten"
            self.shape = (int(gym.spaces.flatdim(space)),)
        self.size = int(np.prod(self.shape))
        byte_valued = self.kind == "bits" or (self.kind == "box" and space.dtype in (np.uint8, np.bool_))
        if encoding == AS_F32:
            self.dtype = F32
        elif byte_valued:
            self.dtype = U8
        elif encoding == AS_BF16 and self.kind == "box" and np.issubdtype(space.dtype, np.floating):
            self.dtype = BF16
        else:
            self.dtype = F32  # including indices and one-hot vectors, which bf16 would round

    def bounds(self):
        """The Box's low and high as float32 rows in the wire's order, for
        `ready` (PROTOCOL.md: obs_low, obs_high), or None: a float Box with
        at least one finite bound declares them; byte images, one-hot and
        flattened spaces do not."""
        if self.kind != "box" or not np.issubdtype(self.space.dtype, np.floating):
            return None
        low, high = (np.broadcast_to(np.asarray(b, dtype=np.float32), self.space.shape) for b in (self.space.low, self.space.high))
        if self.transpose is not None:
            low, high = low.transpose(self.transpose), high.transpose(self.transpose)
        low, high = np.ascontiguousarray(low).reshape(-1), np.ascontiguousarray(high).reshape(-1)
        if np.isnan(low).any() or np.isnan(high).any() or not (np.isfinite(low).any() or np.isfinite(high).any()):
            return None
        if np.isposinf(low).any() or np.isneginf(high).any():
            return None  # a float64 bound beyond f32's range, which the learner would refuse as malformed
        return low, high

    def flat(self, observation):
        """One observation as a flat row of the wire's dtype."""
        if self.kind == "one_hot":
            index = int(observation) - self.start
            if not 0 <= index < self.shape[0]:
                raise ValueError(f"the observation {observation!r} is outside the observation space {self.space}")
            row = np.zeros(self.shape[0], dtype=np.float32)
            row[index] = 1
            return row
        if self.kind == "flatten":
            return np.asarray(gym.spaces.flatten(self.space, observation), dtype=np.float32).reshape(-1)
        value = np.asarray(observation)
        if self.transpose is not None:
            value = value.transpose(self.transpose)
        return np.ascontiguousarray(value, dtype=np.uint8 if self.dtype == U8 else np.float32).reshape(-1)


def unsupported_part(space):
    """The first part of `space` the bridge cannot carry, or None."""
    if isinstance(space, (gym.spaces.Box, gym.spaces.Discrete, gym.spaces.MultiBinary, gym.spaces.MultiDiscrete)):
        return None
    if isinstance(space, gym.spaces.Tuple):
        parts = list(space.spaces)
    elif isinstance(space, gym.spaces.Dict):
        parts = list(space.spaces.values())
    else:
        return space
    for part in parts:
        problem = unsupported_part(part)
        if problem is not None:
            return problem
    return None


def looks_hwc(space):
    """A byte image laid out height x width x channels, as Gymnasium's are:
    rank 3 (or 4, a stack of them) whose last axis has 1, 3 or 4 channels
    and whose first (rank 3) is too wide to be channels."""
    if space.dtype != np.uint8 or len(space.shape) not in (3, 4) or space.shape[-1] not in (1, 3, 4):
        return False
    return len(space.shape) == 4 or space.shape[0] > 4


class Group:
    """The k Gymnasium environments of this worker, with same-step auto-reset."""

    def __init__(self, name, settings_json, seeds, encoding=NATIVE):
        self.was_reset = False  # actions before the first reset are error 3
        if not name.startswith("gymnasium:"):
            raise ValueError(f"this worker serves gymnasium:<id> environments, not '{name}'")
        settings = json.loads(settings_json)
        if not isinstance(settings, dict):
            raise ValueError("settings are not a JSON object")
        # Wrappers from the run's environment.wrappers: classes of
        # gymnasium.wrappers with keyword settings, applied in order.
        wrappers = json.loads(settings.pop("herd_wrappers", "[]"))
        # herd_render: build with this render_mode and send a frame of the
        # first environment before each results (PROTOCOL.md, "frame").
        self.render_mode = settings.pop("herd_render", None)
        # herd_discrete_observation: a Discrete observation travels one-hot
        # ("one_hot", the default, as SB3 feeds it) or as its index ("index").
        discrete_as = settings.pop("herd_discrete_observation", "one_hot")
        if discrete_as not in ("one_hot", "index"):
            raise ValueError(f"herd_discrete_observation is one_hot or index, not {discrete_as!r}")
        # herd_image_layout: how an image Box is laid out (auto, hwc or chw);
        # Herd reads images channels first, so HWC is transposed here, once.
        image_layout = settings.pop("herd_image_layout", "auto")
        # herd_declare_bounds: declare a float Box's low and high at ready,
        # so that the learner refuses observations outside them (true), or
        # not (false, the default: a learner from before the bounds would
        # not read them, and some environments leave their own Box).
        self.declare_bounds = settings.pop("herd_declare_bounds", False)
        if not isinstance(self.declare_bounds, bool):
            raise ValueError(f"herd_declare_bounds is true or false, not {self.declare_bounds!r}")
        if image_layout not in ("auto", "hwc", "chw"):
            raise ValueError(f"herd_image_layout is auto, hwc or chw, not {image_layout!r}")
        if self.render_mode not in (None, "rgb_array"):
            raise ValueError(f"herd_render is 'rgb_array', not {self.render_mode!r}")
        for wrapper, _ in wrappers:
            if wrapper_class(wrapper) is None:
                raise ValueError(f"no wrapper {wrapper}: neither gymnasium.wrappers nor this worker's {sorted(HERD_WRAPPERS)} has it")

        def make(render_mode):
            extra = {"render_mode": render_mode} if render_mode else {}
            env = gym.make(name[len("gymnasium:"):], **settings, **extra)
            for wrapper, kwargs in wrappers:
                env = wrapper_class(wrapper)(env, **kwargs)
            return env

        self.envs = [make(self.render_mode if j == 0 else None) for j in range(len(seeds))]
        if self.render_mode and self.render_mode not in self.envs[0].metadata.get("render_modes", []):
            raise ValueError(f"{name} cannot draw: its render modes are {self.envs[0].metadata.get('render_modes', [])}, "
                             "not rgb_array, so it cannot be recorded")
        self.seeds, self.seeded = seeds, False
        self.observations = ObservationCodec(self.envs[0].observation_space, encoding, discrete_as, image_layout)
        self.action_space = self.envs[0].action_space
        if isinstance(self.action_space, gym.spaces.Discrete):
            self.action_kind, self.discrete, self.action_size = 0, int(self.action_space.n), 1
            self.action_start = int(self.action_space.start)
        elif isinstance(self.action_space, gym.spaces.Box):
            self.action_kind, self.discrete = 1, 0
            self.action_size = int(np.prod(self.action_space.shape))
        else:
            raise ValueError(f"the action space {self.action_space} cannot be carried: Herd's agents act in Discrete or Box "
                             "spaces; wrap the environment (environment.wrappers) in an ActionWrapper that maps one of "
                             "those onto it")

    def ready(self):
        o = self.observations
        body = (struct.pack("<IIBIBIB", len(self.envs), o.size, o.dtype, self.action_size, self.action_kind,
                            self.discrete, len(o.shape)) + struct.pack(f"<{len(o.shape)}I", *o.shape))
        bounds = o.bounds() if self.declare_bounds else None
        if bounds is not None:
            body += bounds[0].astype("<f4").tobytes() + bounds[1].astype("<f4").tobytes()
        return body

    def flat(self, observation):
        return self.observations.flat(observation)

    def encode(self, observations):
        """Observations (one array or a list of rows) as the wire's bytes."""
        if self.observations.dtype == U8:
            return np.asarray(observations, dtype=np.uint8).tobytes()
        values = np.ascontiguousarray(observations, dtype="<f4")
        if self.observations.dtype == F32:
            return values.tobytes()
        # bfloat16: the upper half of each float32, rounded to nearest even; NaN stays NaN.
        bits = values.view("<u4").astype(np.uint64)
        rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
        nan = np.isnan(values)
        rounded[nan] = ((bits[nan] >> 16) | 0x40).astype("<u2")
        return rounded.tobytes()

    def results(self, observations, rewards, flags, finals):
        k = len(self.envs)
        body = struct.pack("<IIB", k, self.observations.size, self.observations.dtype) + self.encode(observations)
        body += np.asarray(rewards, dtype="<f8").tobytes() + bytes(flags) + struct.pack("<I", len(finals))
        for index, obs in finals:
            body += struct.pack("<I", index) + self.encode(obs)
        return body

    def frame(self):
        """The `frame` body for environment 0, or None when not rendering."""
        if not self.render_mode:
            return None
        drawn = self.envs[0].render()
        if drawn is None:
            raise ValueError("render() returned None although the environment was made with render_mode='rgb_array'")
        image = np.ascontiguousarray(drawn, dtype=np.uint8)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"render() gave an array of shape {image.shape}, not height × width × 3")
        return struct.pack("<III", 0, image.shape[0], image.shape[1]) + image.tobytes()

    def reset(self):
        observations = []
        for j, env in enumerate(self.envs):
            # Every Gymnasium seed path takes a 32-bit seed (numpy's legacy
            # RandomState, used by MinAtar and others, takes nothing larger).
            obs, _ = env.reset(seed=None if self.seeded else int(self.seeds[j] % (2**32)))
            observations.append(self.flat(obs))
        self.seeded = True
        k = len(self.envs)
        return self.results(observations, [0.0] * k, [0] * k, [])

    def check(self, actions):
        for row in actions:
            if self.action_kind == 0:
                value = float(row[0])
                if not (value == int(value) and 0 <= value < self.discrete):
                    return f"action {row.tolist()} is not in the action space Discrete({self.discrete})"
            elif not np.all(np.isfinite(row)):
                return f"action {row.tolist()} is not finite"
        return None

    def step(self, actions):
        observations, rewards, flags, finals = [], [], [], []
        for j, env in enumerate(self.envs):
            if self.action_kind == 0:
                action = int(actions[j][0]) + self.action_start
            else:
                action = np.asarray(actions[j], dtype=np.float32).reshape(self.action_space.shape)
            obs, reward, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                finals.append((j, self.flat(obs)))
                obs, _ = env.reset()
            observations.append(self.flat(obs))
            rewards.append(float(reward))
            flags.append((1 if terminated else 0) | (2 if truncated else 0))
        return self.results(observations, rewards, flags, finals)


def main():
    # Ctrl-C reaches the whole process group; the learner decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connect", required=True, help="the learner's endpoint")
    parser.add_argument("--identity", help="routing id the learner expects")
    parser.add_argument("--learner-timeout", type=float, default=30.0)
    parser.add_argument("--heartbeat", type=float, default=1.0)
    parser.add_argument("--exit-with-parent", action="store_true")
    parser.add_argument("--spin", type=float, default=0.0, help="accepted for parity with herd env-worker; Python blocks at once")
    parser.add_argument("--cpus", help="comma-separated CPUs to run on")
    args = parser.parse_args()
    if args.cpus:
        os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",")})

    label = f"{host.gethostname()}:{os.getpid()}"
    context = zmq.Context()
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.MAXMSGSIZE, MAX_MESSAGE)
    if args.identity:
        sock.setsockopt(zmq.ROUTING_ID, args.identity.encode())
    # A CURVE learner passes its local workers a key pair and its own public
    # key in the environment (PROTOCOL.md, "Authentication").
    secret, server = os.environ.get("HERD_CURVE_SECRET_KEY"), os.environ.get("HERD_CURVE_SERVER_KEY")
    if secret and server:
        sock.curve_secretkey = secret.encode()
        sock.curve_publickey = zmq.curve_public(secret.encode())
        sock.curve_serverkey = server.encode()
    sock.connect(args.connect)
    parent = os.getppid()
    sock.send(frame(HELLO, 0, struct.pack("<II", MAX_ENVS, os.getpid()) + text(label, 16)))
    group, bad_frames, last_heard, last_sent = None, 0, time.monotonic(), time.monotonic()

    def log(line):
        print(f"gymnasium worker {label}: {line}", file=sys.stderr, flush=True)

    while True:
        if not sock.poll(min(args.heartbeat, 0.25) * 1000):
            if args.exit_with_parent and os.getppid() != parent:
                return log("the parent process is gone; exiting")
            if time.monotonic() - last_heard > args.learner_timeout:
                return log(f"the learner was silent for {args.learner_timeout} s; exiting")
            if time.monotonic() - last_sent >= args.heartbeat:
                sock.send(frame(HEARTBEAT, 0))
                last_sent = time.monotonic()
            continue
        parts = sock.recv_multipart()
        last_heard = time.monotonic()
        try:
            if len(parts) != 1:
                raise Malformed(f"a message of {len(parts)} frames")
            kind, sequence, body = decode(parts[0])
        except WrongVersion as error:
            log(f"the learner speaks Herd protocol version {error.args[0]} and this worker version {VERSION}: "
                "run the learner and this worker from the same Herd")
            return 1
        except Malformed as error:
            bad_frames += 1
            if bad_frames == 1:
                log(f"dropped a bad frame from the learner (further ones are counted, not logged): {error}")
            continue
        reply = None
        if kind == ASSIGN:
            try:
                group = Group(body[3], body[4], body[2], body[5])
                reply = frame(READY, 0, group.ready())
            except Exception as error:  # any build failure is reported, not fatal
                reply = frame(ERROR, 0, struct.pack("<H", ERR_BUILD) + text(clipped(f"{body[3]}: {error}"), 32))
        elif kind == RESET:
            if group is None:
                reply = frame(ERROR, sequence, struct.pack("<H", ERR_BAD_MESSAGE) + text("reset before assign", 32))
            else:
                try:
                    reply = frame(RESULTS, sequence, group.reset())
                    group.was_reset = True
                    picture = group.frame()
                    if picture is not None:
                        sock.send(frame(FRAME, sequence, picture))
                except Exception as error:  # the environment's own failure: reported, the learner decides
                    reply = frame(ERROR, sequence, struct.pack("<H", ERR_INTERNAL) + text(environment_failure("reset", error), 32))
        elif kind == ACTIONS:
            k, size, actions = body
            if group is None or k != len(group.envs) or size != group.action_size:
                reply = frame(ERROR, sequence, struct.pack("<H", ERR_BAD_MESSAGE) + text("actions of the wrong shape", 32))
            elif not group.was_reset:
                reply = frame(ERROR, sequence, struct.pack("<H", ERR_BAD_MESSAGE) + text("actions before the first reset", 32))
            else:
                problem = group.check(actions)
                if problem:
                    reply = frame(ERROR, sequence, struct.pack("<H", ERR_ACTION) + text(problem, 32))
                else:
                    try:
                        reply = frame(RESULTS, sequence, group.step(actions))
                        picture = group.frame()
                        if picture is not None:
                            sock.send(frame(FRAME, sequence, picture))
                    except Exception as error:
                        reply = frame(ERROR, sequence, struct.pack("<H", ERR_INTERNAL) + text(environment_failure("step", error), 32))
        elif kind == ERROR:
            log(f"the learner sent error {body[0]}: {body[1]!r}")
        elif kind == GOODBYE:
            return
        if reply is not None:
            sock.send(reply)
            last_sent = time.monotonic()


def clipped(message):
    """`message` cut to 4,000 bytes of UTF-8 (the learner takes 4,096)."""
    return message.encode("utf-8")[:4000].decode("utf-8", "ignore")


def environment_failure(call, error):
    """What an environment's exception is reported as (error code 4)."""
    return clipped(f"the environment's {call}() raised {type(error).__name__}: {error}")


if __name__ == "__main__":
    sys.exit(main())
