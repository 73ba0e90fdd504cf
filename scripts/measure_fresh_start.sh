#!/usr/bin/env bash
# Measure "fresh clone -> ready system": clone this repo to a temp dir, run `make run` there, and
# print the seconds until /healthz is 200 (and the phases). Stops the system afterwards.
#   scripts/measure_fresh_start.sh [--keep-pip-cache]
# By default pip's cache is emptied for the run (PIP_NO_CACHE_DIR=1), as on a fresh machine.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
port=${PORT:-18000}
trap 'kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
[ "${1:-}" = "--keep-pip-cache" ] || export PIP_NO_CACHE_DIR=1
git clone -q "$src" "$work/saphan"
cd "$work/saphan"
export SAPHAN_GATEWAY_PORT=$port SAPHAN_RASA_URL=http://127.0.0.1:$((port + 1)) \
       SAPHAN_ACTION_SERVER_URL=http://127.0.0.1:$((port + 2))
start=$(date +%s)
make run > run.log 2>&1 &
pid=$!

declare -A seen=()
until grep -q "all services are healthy" run.log 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || { tail -40 run.log; echo "make run exited early"; exit 1; }
  for key in ".venv ready" ".venv-rasa ready" "database migrated" "trained in" "all services are healthy"; do
    if [ -z "${seen[$key]:-}" ] && grep -q "$key" run.log; then
      seen[$key]=1; printf '%-26s %4ds\n' "$key" $(( $(date +%s) - start ))
    fi
  done
  sleep 1
done
total=$(( $(date +%s) - start ))
status=$(.venv/bin/python -c "import httpx; print(httpx.get('http://127.0.0.1:$port/healthz', timeout=10).status_code)")
printf '%-26s %4ds\n' "healthz $status" "$total"
echo "fresh clone -> ready: ${total}s on $(nproc) cores ($(date -u +%F))"
