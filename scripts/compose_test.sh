#!/usr/bin/env bash
# `make compose-test`: build docker-compose.yml's images with podman (runc) on local stand-ins for
# the public base images (no registry can be reached here), bring the topology up, drive a signed
# LINE webhook through the gateway container to the fake LINE server, tear down
# (reliability/compose_test.py). Stand-ins and downloaded packages are cached in $CACHE, and
# podman keeps its layer cache, so a re-run rebuilds only what changed.
#   debian:bookworm   debootstrap --variant=minbase from Debian's packages
#   python:3.X-slim   that Debian + this machine's CPython 3.X (pyenv, as `make setup` uses)
#   postgres:15, redis:7   that Debian + Debian's postgresql-15 / redis-server
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${SAPHAN_COMPOSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/saphan-compose}
STANDIN=localhost/saphan-standin
start=$(date +%s)
mkdir -p "$CACHE"
log() { echo "[compose-test $(( $(date +%s) - start ))s] $*"; }

for tool in podman runc debootstrap; do
  command -v "$tool" >/dev/null || { echo "error: $tool missing (apt-get install -y podman runc debootstrap)" >&2; exit 2; }
done
# crun fails here (cgroups in hybrid mode): runc, cgroupfs, no default ulimits.
export CONTAINERS_CONF="$CACHE/containers.conf"
cat > "$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = []
[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
CONF

have_image() { podman image exists "$1"; }

# Python interpreters of make setup: .venv (3.11) and .venv-rasa (3.10).
make -s setup
.venv/bin/saphan model train >/dev/null
log "model: $(ls -t models/*.tar.gz | head -1)"

if ! have_image "$STANDIN/debian:bookworm"; then
  tarball="$CACHE/debian-bookworm-minbase.tar"
  if [ ! -s "$tarball" ]; then
    log "debootstrap bookworm (minbase) ..."
    rootfs="$CACHE/rootfs"
    rm -rf "$rootfs"
    # Runtime libraries of CPython's extension modules, as python:3.X-slim has them.
    debootstrap --variant=minbase \
      --include=ca-certificates,netbase,tzdata,libssl3,libffi8,libsqlite3-0,libbz2-1.0,liblzma5,libreadline8,libncursesw6,libgdbm6,libuuid1,libexpat1,zlib1g,libtirpc3,libcrypt1,libstdc++6 \
      bookworm "$rootfs" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$rootfs"
  fi
  podman import -q "$tarball" "$STANDIN/debian:bookworm" >/dev/null
  log "built $STANDIN/debian:bookworm"
fi

build_python() {  # build_python 3.11 .venv
  local minor=$1 venv=$2 prefix ctx
  have_image "$STANDIN/python:$minor-slim" && return 0
  prefix=$("$venv/bin/python" -c 'import sys; print(sys.base_prefix)')
  ctx="$CACHE/python$minor"
  rm -rf "$ctx" && mkdir -p "$ctx/usr-local/bin"
  # The interpreter and standard library only (no site-packages, tests or pyenv's scripts);
  # pip comes from the interpreter's own ensurepip in the image.
  tar -C "$prefix" --exclude="lib/python$minor/site-packages/*" --exclude="lib/python$minor/test" \
    --exclude='__pycache__' -cf - lib include | tar -C "$ctx/usr-local" -xf -
  cp -a "$prefix/bin/python$minor" "$ctx/usr-local/bin/"
  ln -s "python$minor" "$ctx/usr-local/bin/python3"
  podman build -q -f docker/standin/python.Dockerfile -t "$STANDIN/python:$minor-slim" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "built $STANDIN/python:$minor-slim"
}
build_python 3.11 .venv
build_python 3.10 .venv-rasa

for service in postgres:15 redis:7; do  # (podman's layer cache makes a re-run quick)
  podman build -q --network host -f "docker/standin/${service%%:*}.Dockerfile" -t "$STANDIN/$service" \
    docker/standin >/dev/null
  log "$STANDIN/$service ready"
done

# The images' packages, fetched by this machine's pip (its package indexes and settings) and
# checked against the lock's hashes; the image builds install them from this folder only.
download() {  # download app-prod .venv
  local lock=$1 venv=$2 dest="$CACHE/wheels/$1" stamp
  stamp=$(sha256sum "requirements/$lock.lock" | cut -c1-16)
  [ -f "$dest/.stamp-$stamp" ] && return 0
  mkdir -p "$dest"
  # The sdists' build requirements are fetched too (a build without an index needs them).
  # (pip's output goes to a log: this machine's pip settings make it warn about every package)
  { "$venv/bin/python" -m pip download -q --no-deps --require-hashes -d "$dest" -r "requirements/$lock.lock" \
    && "$venv/bin/python" -m pip download -q -d "$dest" "setuptools>=68" wheel; } >"$CACHE/pip-$lock.log" 2>&1 \
    || { grep -v 'is ignored: it is neither' "$CACHE/pip-$lock.log" >&2; exit 1; }
  touch "$dest/.stamp-$stamp"
  log "downloaded the packages of requirements/$lock.lock"
}
download app-prod .venv
download rasa-prod .venv-rasa

SAPHAN_COMPOSE_CACHE="$CACHE" SAPHAN_STANDIN="$STANDIN" PYTHONPATH=. \
  .venv/bin/python -m reliability.compose_test "$@"
log "finished"
