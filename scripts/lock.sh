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
