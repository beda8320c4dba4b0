# Sourced by the benchmark scripts (and scripts/setup.sh).
#
# What benchmarks/report.py needs. rliable 1.2.0 imports arch, and arch 7.2
# fails to import beside pandas 3 (a changed deprecate_kwarg signature):
# pinned together.
report_packages="matplotlib rliable==1.2.0 arch==7.2.0 pandas<3"

# peer_python picks a Python that can import the peers.
#
#   peer_python OVERRIDE_VAR VENV_DIR "module, module" "pip packages" INSTALL(0|1)
#
# Uses $OVERRIDE_VAR if set, else VENV_DIR/bin/python if present, else
# python3; if that cannot import the modules and INSTALL is 1, creates
# VENV_DIR and installs the packages from PyPI. Prints the interpreter's path,
# or fails with a message naming what is missing.
peer_python() {
    local override="${!1:-}" venv="$2" modules="$3" packages="$4" install="$5" python
    if [ -n "$override" ]; then python="$override"
    elif [ -x "$venv/bin/python" ]; then python="$venv/bin/python"
    else python=python3; fi
    if ! "$python" -c "import $modules" 2>/dev/null; then
        if [ "$install" != 1 ]; then
            echo "$(basename "$0"): $modules not importable by $python; rerun with --install or set $1" >&2
            return 1
        fi
        python3 -m venv "$venv"
        # shellcheck disable=SC2086
        "$venv/bin/pip" install --quiet $packages >&2
        python="$venv/bin/python"
    fi
    echo "$python"
}
