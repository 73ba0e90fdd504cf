"""Run docker-compose.yml for real with podman and drive a signed LINE webhook through it.

Started by `make compose-test` (scripts/compose_test.sh), which has built the local stand-ins
for the public base images. docker-compose.yml stays the one description of the topology: this
reads its services, images, build sections, commands, environments, volumes, ports, health
checks, restart policies and `depends_on` conditions and starts them with `podman run` on one
network (podman's compose front-ends need systemd timers for health checks, which this machine
has not: each health check is run here with `podman healthcheck run`). Then a signed webhook
goes to the gateway container, whose LINE API base URL is the fake LINE server on the host, and
the answer must arrive there. Everything is removed at the end, also on failure.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

from content.catalogue import text
from saphan.language import LANGUAGES
from saphan.paths import ROOT
from testsupport.fake_line import FakeLine

PROJECT = "saphan-compose-test"
COMPOSE_FILE = ROOT / "docker-compose.yml"
USER_ID = "U" + "c0" * 16
MAX_RESTARTS = 3  # a container restarted this often while starting is crash-looping
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


class ComposeTestError(RuntimeError):
    """The topology did not come up or did not answer the webhook."""


def log(message: str, started: float = time.monotonic()) -> None:
    print(f"[compose-test +{time.monotonic() - started:5.1f}s] {message}", flush=True)


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}` substitution."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, operator, word = match.group(1), match.group(2), match.group(3) or ""
        current = env.get(name)
        unset = current is None or (operator is not None and operator.startswith(":")
                                    and current == "")
        if operator and operator.endswith("?") and unset:
            raise ComposeTestError(f"{name}: {word}")
        if operator and operator.endswith("-") and unset:
            return word
        return current or ""

    return VARIABLE.sub(substitute, value.replace("$$", "\0")).replace("\0", "$")


def service_env(service: dict[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """The container's variables: a name without a value passes the caller's variable through
    when it is set and is left out otherwise (as docker compose does)."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    out: dict[str, str] = {}
    for name, value in raw.items():
        if value is None:
            if name in env:
                out[name] = env[name]
        else:
            out[name] = str(interpolate(value, env))
    return out


def podman(*args: str, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["podman", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        if not quiet:
            print(result.stdout[-2000:], result.stderr[-4000:], file=sys.stderr)
        raise ComposeTestError(f"podman {args[0]} {args[1] if len(args) > 1 else ''} failed")
    return result


def start_order(services: dict[str, Any]) -> list[str]:
    """Services with their `depends_on` first."""
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in path:
            raise ComposeTestError(f"depends_on cycle: {' -> '.join((*path, name))}")
        for dependency in services[name].get("depends_on") or {}:
            visit(dependency, (*path, name))
        order.append(name)

    for name in services:
        visit(name, ())
    return order


def build_images(services: dict[str, Any], env: Mapping[str, str], cache: Path,
                 standin: str) -> None:
    """Build each image once, on the local stand-in base, from the packages downloaded into the
    cache (scripts/compose_test.sh), i.e. from this machine's package indexes."""
    built: set[str] = set()
    for service in services.values():
        if "build" not in service:
            continue
        image = interpolate(service["image"], env)
        if image in built:
            continue
        context = ROOT / service["build"].get("context", ".")
        dockerfile = context / service["build"]["dockerfile"]
        text = dockerfile.read_text(encoding="utf-8")
        minor = re.search(r"^ARG PYTHON_IMAGE=python:(3\.\d+)-", text, flags=re.M)
        lock = re.search(r"-r requirements/([\w-]+)\.lock", text)
        if not minor or not lock:
            raise ComposeTestError(f"{dockerfile}: no pinned python base or lock file")
        wheels = cache / "wheels" / lock.group(1)
        log(f"building {image} ({dockerfile.relative_to(ROOT)})")
        podman("build", "-q", "--network", "host", "-f", str(dockerfile), "-t", image,
               "--build-arg", f"PYTHON_IMAGE={standin}/python:{minor.group(1)}-slim",
               "--build-arg", "PIP_INSTALL_OPTS=--no-index --find-links /wheels",
               "-v", f"{wheels}:/wheels:ro", str(context))
        built.add(image)


def _seconds(value: str | None, default: float) -> float:
    if not value:
        return default
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)(ms|s|m|h)", value))


def run_args(name: str, service: dict[str, Any], env: Mapping[str, str]) -> list[str]:
    """`podman run` arguments for one compose service."""
    args = ["run", "-d", "--name", f"{PROJECT}_{name}", "--network", PROJECT,
            "--network-alias", name, "--restart", service.get("restart", "no")]
    for key, value in service_env(service, env).items():
        args += ["-e", f"{key}={value}"]
    for volume in service.get("volumes") or []:
        source, _, target = volume.partition(":")
        if source.startswith((".", "/")):
            source = str((ROOT / source).resolve())
        else:
            source = f"{PROJECT}_{source}"
        args += ["-v", f"{source}:{target}"]
    for port in service.get("ports") or []:
        # Published on a free loopback port of the host (8000 may be taken here).
        args += ["-p", f"127.0.0.1::{str(port).rsplit(':', 1)[-1]}"]
    check = service.get("healthcheck") or {}
    if check.get("test"):
        kind, *command = check["test"]
        args += ["--health-cmd", json.dumps(command) if kind == "CMD" else command[0],
                 # Checked by this script (no systemd timers here), not on a schedule.
                 "--health-interval", "disable"]
    args.append(interpolate(service["image"], env))
    command = service.get("command")
    if isinstance(command, str):
        args += shlex.split(interpolate(command, env))
    elif command:
        args += [interpolate(part, env) for part in command]
    return args


def wait_healthy(name: str, service: dict[str, Any]) -> None:
    """Run the service's health check until it passes, within compose's own budget."""
    check = service.get("healthcheck") or {}
    interval = min(_seconds(check.get("interval"), 30), 5.0)
    budget = _seconds(check.get("start_period"), 0) + \
        _seconds(check.get("interval"), 30) * int(check.get("retries", 3))
    deadline = time.monotonic() + budget
    container = f"{PROJECT}_{name}"
    while time.monotonic() < deadline:
        state = podman("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", container,
                       check=False).stdout.split()
        if state and (int(state[-1]) >= MAX_RESTARTS or (
                state[0] in ("exited", "stopped") and service.get("restart", "no") == "no")):
            raise ComposeTestError(f"{name} keeps stopping ({state[0]}, {state[-1]} restarts)")
        if podman("healthcheck", "run", container, check=False).returncode == 0:
            log(f"{name} healthy")
            return
        time.sleep(interval)
    raise ComposeTestError(f"{name} did not become healthy within {budget:.0f} s")


def up(services: dict[str, Any], env: Mapping[str, str]) -> None:
    """Start each service once its `service_healthy` dependencies are; then wait for all."""
    healthy: set[str] = set()

    def await_health(name: str) -> None:
        if name not in healthy:
            wait_healthy(name, services[name])
            healthy.add(name)

    for name in start_order(services):
        service = services[name]
        for dependency, rule in (service.get("depends_on") or {}).items():
            if (rule or {}).get("condition") == "service_healthy":
                await_health(dependency)
        podman(*run_args(name, service, env))
        log(f"{name} started")
    for name in services:
        await_health(name)


def down(services: dict[str, Any], compose: dict[str, Any], show_logs: bool) -> None:
    for name in services:
        container = f"{PROJECT}_{name}"
        if show_logs and podman("container", "exists", container, check=False).returncode == 0:
            logs = podman("logs", "--tail", "30", container, check=False)
            print(f"----- {name} (last lines) -----\n{logs.stdout}{logs.stderr}", file=sys.stderr)
        podman("rm", "-f", "-t", "3", container, check=False)
    for volume in compose.get("volumes") or {}:
        podman("volume", "rm", "-f", f"{PROJECT}_{volume}", check=False)
    podman("network", "rm", "-f", PROJECT, check=False)


def production_env(fake_line_url: str) -> tuple[dict[str, str], str]:
    """Fresh strong secrets (production refuses weak ones) and one LINE channel; the secret."""
    channel_secret = secrets.token_hex(16)
    channels = [{"name": "public", "audience": "public", "secret": channel_secret,
                 "access_token": secrets.token_urlsafe(32)}]
    env = {name: secrets.token_urlsafe(32) for name in (
        "SAPHAN_INTERNAL_API_TOKEN", "SAPHAN_SESSION_KEY", "SAPHAN_PSEUDONYM_KEY",
        "SAPHAN_RASA_AUTH_TOKEN", "SAPHAN_ACTION_SERVER_TOKEN", "POSTGRES_PASSWORD")}
    env |= {
        "SAPHAN_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "SAPHAN_LINE_CHANNELS": json.dumps(channels),
        "SAPHAN_PUBLIC_BASE_URL": "https://saphan.test",
        "SAPHAN_LINE_API_BASE_URL": fake_line_url,
        "SAPHAN_LINE_DATA_API_BASE_URL": fake_line_url,
        "SAPHAN_LINE_QUOTA_CHECK_S": "0",
    }
    return env, channel_secret


def drive_webhook(line: FakeLine, gateway_url: str, channel_secret: str, timeout: float) -> None:
    """A forged signature is refused; a signed message is answered at the fake LINE server."""
    forged = line.send_webhook(gateway_url, "public", "not-the-secret",
                               [line.text_event(USER_ID, "hello")])
    if forged.status_code == 200:
        raise ComposeTestError("the gateway accepted a webhook with a forged signature")
    docs = httpx.get(f"{gateway_url}/docs", timeout=10)
    if docs.status_code != 404:
        raise ComposeTestError(f"/docs answered {docs.status_code}: not in production mode")
    sent = time.monotonic()
    response = line.send_webhook(gateway_url, "public", channel_secret,
                                 [line.text_event(USER_ID, "hello")])
    if response.status_code != 200:
        raise ComposeTestError(f"signed webhook answered {response.status_code}")
    messages = line.wait_for(lambda: line.messages_to(USER_ID), timeout=timeout)
    kind, first = messages[0]
    fallbacks = {text("gateway", "fallback", language) for language in LANGUAGES}
    if any(message.get("text") in fallbacks for _, message in messages):
        raise ComposeTestError("the answer is the gateway's fallback: Rasa did not answer")
    log(f"answer at the fake LINE server after {time.monotonic() - sent:.1f} s "
        f"({kind}, {len(messages)} message(s), first of type {first.get('type')})")


def network_gateway(name: str) -> str:
    info = json.loads(podman("network", "inspect", name).stdout)[0]
    return info["subnets"][0]["gateway"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the topology running")
    parser.add_argument("--answer-timeout", type=float, default=90.0)
    args = parser.parse_args(argv)
    cache = Path(os.environ["SAPHAN_COMPOSE_CACHE"])
    standin = os.environ["SAPHAN_STANDIN"]
    compose = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    services: dict[str, Any] = compose["services"]
    base_env = {"SAPHAN_POSTGRES_IMAGE": f"{standin}/postgres:15",
                "SAPHAN_REDIS_IMAGE": f"{standin}/redis:7", "SAPHAN_IMAGE_TAG": "compose-test"}
    build_images(services, base_env, cache, standin)

    down(services, compose, show_logs=False)  # leftovers of an interrupted run
    podman("network", "create", PROJECT)
    ok = False
    try:
        # The fake LINE server listens on the host's address on the containers' network
        # (which exists once a container is on it: the server starts after them).
        line = FakeLine()
        line.server.config.host = network_gateway(PROJECT)
        env, channel_secret = production_env(f"http://{line.server.config.host}:{line.port}")
        up(services, env | base_env)
        port = podman("port", f"{PROJECT}_gateway", "8000/tcp").stdout.strip()
        with line:
            drive_webhook(line, f"http://{port.splitlines()[0]}", channel_secret,
                          args.answer_timeout)
        ok = True
    finally:
        if not args.keep:
            down(services, compose, show_logs=not ok)
    log("passed: images built, topology healthy, signed webhook answered")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ComposeTestError as exc:
        print(f"compose-test FAILED: {exc}", file=sys.stderr)
        sys.exit(1)
