#!/usr/bin/env bash
# Creates the Python reference environment (pyvene 0.1.8 on CPU torch) at <repo>/.venv-reference,
# or does nothing when it is already there with the pinned packages. Safe to run before every
# benchmark: the up-to-date check reads package metadata only and takes well under a second.
#
#   bash bench/reference/setup.sh
#
# Environment overrides:
#   REFERENCE_VENV         where the venv goes (default: <repo>/.venv-reference)
#   PYTHON                 the interpreter that creates it (default: python3; needs 3.9 or newer)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${REFERENCE_VENV:-$repo/.venv-reference}"
python="${PYTHON:-python3}"
requirements="$here/requirements.txt"
constraints="$here/constraints.txt"
stamp="$venv/.interchange-reference-stamp"
PYREFT_VERSION=0.1.0

log() { echo "[reference setup] $*"; }
fail() { echo "[reference setup] error: $*" >&2; exit 1; }

[ -f "$requirements" ] || fail "missing $requirements"
[ -f "$constraints" ] || fail "missing $constraints"

# The stamp ties the venv to these exact pin files and to the interpreter that made it.
wanted_stamp() {
    {
        cat "$requirements" "$constraints"
        "$venv/bin/python" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
}

# Every "name==version" line of the pin files must match what is installed.
pins_installed() {
    "$venv/bin/python" - "$requirements" "$constraints" <<'PY'
import re, sys
from importlib import metadata

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

installed = {norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
missing = []
for path in sys.argv[1:]:
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if "==" not in line:
            continue
        name, version = (part.strip() for part in line.split("==", 1))
        have = installed.get(norm(name))
        if have != version:
            missing.append(f"{name}=={version} (installed: {have or 'none'})")
if installed.get("pyreft") != "0.1.0":
    missing.append(f"pyreft==0.1.0 (installed: {installed.get('pyreft') or 'none'})")
if missing:
    print("not as pinned: " + ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else ""))
    sys.exit(1)
PY
}

venv_python_works() {
    [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import sys' >/dev/null 2>&1
}

if venv_python_works && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(wanted_stamp)" ] \
    && pins_installed >/dev/null; then
    log "up to date: $venv (pyvene 0.1.8, pyreft 0.1.0, transformers, tokenizers, torch 2.13.0+cpu); nothing to do"
    exit 0
fi

start=$(date +%s)

# --- the virtualenv ---------------------------------------------------------------------------
if ! venv_python_works; then
    command -v "$python" >/dev/null 2>&1 || fail "$python not found (set PYTHON to a Python 3.9+ interpreter)"
    "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
        || fail "$python is $("$python" --version 2>&1); pyvene 0.1.8 needs Python 3.9 or newer"
    log "creating virtualenv $venv with $("$python" --version 2>&1) ($(command -v "$python"))"
    rm -rf "$venv"
    errors="$(mktemp)"
    trap 'rm -f "$errors"' EXIT
    if ! "$python" -m venv "$venv" 2>"$errors"; then
        cat "$errors" >&2
        rm -rf "$venv"
        # Debian's python3 ships venv's ensurepip in a separate package.
        if command -v apt-get >/dev/null 2>&1 && grep -q ensurepip "$errors"; then
            minor="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
            sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
            log "installing python${minor}-venv with apt-get (venv's ensurepip is missing)"
            $sudo apt-get update
            $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "python${minor}-venv"
            "$python" -m venv "$venv" || fail "python -m venv failed again after installing python${minor}-venv"
        else
            fail "python -m venv failed (see the message above)"
        fi
    fi
else
    log "virtualenv $venv exists but is not recorded as up to date; checking its packages"
    pins_installed || true
fi

pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input)

# --- the packages -----------------------------------------------------------------------------
log "installing the pinned packages (requirements.txt, constraints.txt)"
# The "+cpu" torch wheel comes from pip's configured find-links (PIP_FIND_LINKS, /etc/pip.conf).
"${pip[@]}" install -r "$requirements" -c "$constraints" \
    || fail "pip install failed; torch==2.13.0+cpu must be available from pip's configured sources (find-links)"


# pyreft 0.1.0 declares dependencies that would move the pins above (it needs only torch, transformers
# and datasets at run time, all pinned): installed without them, then checked like the rest.
"${pip[@]}" install --no-deps "pyreft==${PYREFT_VERSION}" \
    || fail "pip install --no-deps pyreft==${PYREFT_VERSION} failed"

pins_installed || fail "installed packages do not match the pins (see above)"

log "checking that torch and pyvene import"
if ! check="$("$venv/bin/python" - 2>&1 <<'PY'
import contextlib, io
import torch
with contextlib.redirect_stdout(io.StringIO()):
    import pyvene
from importlib import metadata
print(f"[reference setup] torch {torch.__version__} (CUDA: {torch.version.cuda}), "
      f"pyvene {metadata.version('pyvene')}, {torch.get_num_threads()} threads available")
PY
)"; then
    echo "$check" >&2
    fail "torch or pyvene does not import in $venv"
fi
echo "$check" | grep -v "nnsight" || true

wanted_stamp >"$stamp"
log "done in $(( $(date +%s) - start )) s: $venv"
