#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine for Herd: the native libraries
# (ZeroMQ, OpenBLAS, pkg-config) from apt when missing, and — with
# --python — the Python packages the interoperability tests use, ffmpeg and
# valgrind.
# Swift itself (6.x) must already be installed.
set -euo pipefail

need_apt=()
pkg-config --exists libzmq 2>/dev/null || need_apt+=(libzmq3-dev)
pkg-config --exists openblas 2>/dev/null || need_apt+=(libopenblas-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)

if [ ${#need_apt[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "setup: installing ${need_apt[*]} with apt" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" pkg-config >/dev/null
fi
# Tools some tests use, with --python; a failed install only skips those tests.
optional_tool() {  # COMMAND PACKAGE WHAT-IS-SKIPPED
    command -v "$1" >/dev/null 2>&1 && return 0
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "setup: installing $2 with apt" >&2
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >/dev/null; } \
        || echo "setup: apt-get install $2 failed; $3 will be skipped" >&2
}
if [ "${1:-}" = "--python" ]; then
    # ffmpeg writes `herd eval --record x.mp4`; its ffprobe reads it back in the tests.
    optional_tool ffmpeg ffmpeg "the .mp4 recording test"
    # valgrind counts instructions (benchmarks/instructions.py and its test).
    optional_tool valgrind valgrind "the instruction-count test"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: Swift 6 is required (https://www.swift.org/install/linux/)" >&2
    exit 1
fi

if [ "${1:-}" = "--python" ]; then
    python="${HERD_PYTHON:-python3}"
    if ! "$python" -c "import safetensors, numpy, gymnasium, zmq" 2>/dev/null; then
        echo "setup: installing safetensors, numpy, gymnasium, pyzmq and tensorboard for $python" >&2
        "$python" -m pip install --quiet --disable-pip-version-check safetensors numpy gymnasium pyzmq tensorboard \
            || echo "setup: pip install failed; the Python interoperability tests will be skipped" >&2
    fi
    # The MinAtar reference (its own step, so that a failure skips only the
    # side-by-side MinAtar test).
    if ! "$python" -c "import minatar" 2>/dev/null; then
        echo "setup: installing minatar 1.0.15 for $python" >&2
        "$python" -m pip install --quiet --disable-pip-version-check minatar==1.0.15 \
            || echo "setup: pip install minatar failed; the side-by-side MinAtar test will be skipped" >&2
    fi
    # Videos: Pillow reads GIFs back, pygame draws Gymnasium's classic-control
    # pictures that Herd's are compared with.
    if ! "$python" -c "import PIL, pygame" 2>/dev/null; then
        echo "setup: installing Pillow and pygame for $python" >&2
        "$python" -m pip install --quiet --disable-pip-version-check Pillow pygame \
            || echo "setup: pip install Pillow pygame failed; the video and drawing tests will be skipped" >&2
    fi
    # herd export: the ONNX checker and onnxruntime check the models.
    if ! "$python" -c "import onnx, onnxruntime" 2>/dev/null; then
        echo "setup: installing onnx and onnxruntime for $python" >&2
        "$python" -m pip install --quiet --disable-pip-version-check onnx onnxruntime \
            || echo "setup: pip install onnx onnxruntime failed; the ONNX export tests will be skipped" >&2
    fi
    # Atari through the bridge: ale-py (its wheels ship the ROMs) and OpenCV
    # for Gymnasium's AtariPreprocessing.
    if ! "$python" -c "import ale_py, cv2" 2>/dev/null; then
        echo "setup: installing ale-py and opencv-python-headless for $python" >&2
        "$python" -m pip install --quiet --disable-pip-version-check ale-py opencv-python-headless \
            || echo "setup: pip install ale-py failed; the Atari tests will be skipped" >&2
    fi
    # The benchmark suite's aggregation over seeds and its plots (benchmarks/report.py).
    . "$(dirname "$0")/../benchmarks/python_env.sh"
    if ! "$python" -c "import rliable.library, matplotlib" 2>/dev/null; then
        echo "setup: installing $report_packages for $python" >&2
        # shellcheck disable=SC2086
        "$python" -m pip install --quiet --disable-pip-version-check $report_packages \
            || echo "setup: pip install rliable matplotlib failed; the benchmark suite's test will fail on its aggregates" >&2
    fi
fi
