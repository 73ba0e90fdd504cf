#!/usr/bin/env bash
# Re-resolve requirements/{app,rasa}.in into pinned lock files (run after editing an .in file).
set -euo pipefail
cd "$(dirname "$0")/.."
for kind in app rasa; do
  tmp=$(mktemp -d)

  base=$( [ "$kind" = rasa ] && readlink -f .venv-rasa/bin/python || echo python3 )
  "$base" -m venv "$tmp/venv"
  "$tmp/venv/bin/pip" install --quiet -r "requirements/$kind.in"
  "$tmp/venv/bin/pip" freeze --exclude-editable | grep -v '^saphan' > "requirements/$kind.lock"
  rm -rf "$tmp"
  echo "requirements/$kind.lock: $(wc -l < "requirements/$kind.lock") pins"
done

# The images' locks, with hashes (installed with --require-hashes): the app's production
# dependencies (pyproject.toml, no test tools) and Rasa's, at the versions locked above.
hashed() {  # hashed PYTHON OUTPUT INPUT [pip-compile options]
  local tmp; tmp=$(mktemp -d)
  "$1" -m venv "$tmp/venv" && "$tmp/venv/bin/pip" install --quiet pip-tools
  "$tmp/venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --no-emit-trusted-host -o "$2" "${@:4}" "$3"
  rm -rf "$tmp"
  echo "$2: $(grep -c '==' "$2") pins with hashes"
}
hashed python3 requirements/app-prod.lock pyproject.toml -c requirements/app.lock
hashed "$(readlink -f .venv-rasa/bin/python)" requirements/rasa-prod.lock requirements/rasa-prod.in
