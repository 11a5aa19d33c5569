#!/usr/bin/env bash
# hegui's one entry point for people and CI. Idempotent: safe to run again and again.
#   ./run.sh serve [hegui serve options]   set everything up, then run the server (SQLite, bundled models)
#   ./run.sh test  [pytest options]        set everything up, then run lint, type checks, layering and tests
#   ./run.sh setup                         only set up (.venv with hegui installed, system tools)
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY="$VENV/bin/python"

need_python() {
  # Python >= 3.11 with venv; install Debian's if the machine has none.
  for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 &&
       "$cand" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$cand"; return
    fi
  done
  apt_install python3 python3-venv python3-dev >&2
  echo python3
}

apt_updated=""
apt_install() {
  # Install Debian packages that are missing; apt-get update at most once per run.
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "run.sh: please install: ${missing[*]} (no apt-get here)" >&2; return 1
  fi
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ -z "$apt_updated" ]; then $sudo apt-get update -qq >&2; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

setup() {
  # System tools: a CJK font for drawn labels; ffmpeg for explicit audio/video labels (run as a
  # separate program); exiftool is used by the tests to read what we write.
  apt_install fonts-wqy-microhei ffmpeg
  if [ "${1:-}" = "test" ]; then apt_install libimage-exiftool-perl libarchive-zip-perl; fi
  local python; python=$(need_python)
  [ -x "$PY" ] || "$python" -m venv "$VENV"
  # Reinstall only when the dependency list changed (stamp = hash of pyproject.toml).
  local stamp="$VENV/.hegui-installed" want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$PY" -m pip install -q --upgrade pip >&2
    "$PY" -m pip install -q -e '.[dev]' >&2
    echo "$want" > "$stamp"
  fi
}

cmd=${1:-help}; shift || true
case "$cmd" in
  setup) setup test ;;
  serve)
    setup serve
    exec "$VENV/bin/hegui" serve "$@" ;;
  test)
    setup test
    echo "== ruff"; "$VENV/bin/ruff" check src tests benchmarks
    echo "== mypy"; "$VENV/bin/mypy"
    echo "== import-linter"; "$VENV/bin/lint-imports"
    # Slow suites (long fuzzing) are marked `slow`: skipped here, run by `./run.sh test -m slow`.
    echo "== pytest"; exec "$PY" -m pytest -m "not slow" "$@" ;;
  *)
    sed -n '2,6p' "$0"; exit 2 ;;
esac
