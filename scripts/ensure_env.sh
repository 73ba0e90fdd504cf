#!/usr/bin/env bash
# Create or refresh one of the project's two virtual environments.
#   scripts/ensure_env.sh app   -> .venv       (Python 3.11: gateway, actions, directory, CLI, tests)
#   scripts/ensure_env.sh rasa  -> .venv-rasa  (Python 3.10: Rasa 3.6 + custom NLU components)
# An environment is rebuilt only when its lock file changed (content hash stamp), so a re-run
# with nothing changed takes well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
  local candidates=()
  [ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
  command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
  if command -v pyenv >/dev/null 2>&1; then
    for p in "$(pyenv root)"/versions/3.10.*/bin/python3.10; do [ -x "$p" ] && candidates+=("$p"); done
  fi
  for p in "$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
    [ -x "$p" ] && candidates+=("$p")
  done
  for p in "${candidates[@]}"; do
    if "$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then echo "$p"; return 0; fi
  done
  cat >&2 <<'MSG'
error: Python 3.10 not found; Rasa 3.6 needs Python 3.10 (it does not run on 3.11+).
  Set PYTHON310=/path/to/python3.10, put python3.10 on PATH, or install it:
    pyenv install 3.10          (https://github.com/pyenv/pyenv)
    apt-get install python3.10 python3.10-venv   (Debian/Ubuntu with deadsnakes or similar)
MSG
  return 1
}

find_python311() {
  local p
  for p in "${PYTHON311:-}" python3.11 python3; do
    [ -n "$p" ] || continue
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; assert sys.version_info[:2] >= (3, 11)' 2>/dev/null; then
      command -v "$p"; return 0
    fi
  done
  echo "error: Python >= 3.11 not found (set PYTHON311=/path/to/python3.11)." >&2
  return 1
}

kind="${1:?usage: ensure_env.sh app|rasa}"
case "$kind" in
  app)  venv=.venv;      lock=requirements/app.lock;  py=$(find_python311); extra=(pyproject.toml) ;;
  rasa) venv=.venv-rasa; lock=requirements/rasa.lock; py=$(find_python310); extra=() ;;
  *) echo "usage: ensure_env.sh app|rasa" >&2; exit 2 ;;
esac

stamp="$venv/.saphan-stamp"
want=$(cat "$lock" "${extra[@]}" | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

echo "[setup] building $venv with $("$py" --version 2>&1) from $lock ..."
start=$(date +%s)
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade "pip<25" "setuptools<81" wheel
"$venv/bin/python" -m pip install --quiet -r "$lock"
if [ "$kind" = app ]; then
  "$venv/bin/python" -m pip install --quiet --no-deps -e .
fi
echo "$want" > "$stamp"
echo "[setup] $venv ready in $(( $(date +%s) - start ))s"
