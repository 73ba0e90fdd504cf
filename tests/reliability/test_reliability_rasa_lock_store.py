"""Rasa's Redis lock store gets every part of `SAPHAN_REDIS_URL` (issue 21): host, port,
user, password, database number and TLS. Units for the URL, and a real Rasa (its venv) that
reads `bot/endpoints.yml` as the launcher prepares it and takes a lock in the password-protected
Redis database the URL names, without the password in its output."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from saphan.rasa_launch import apply_lock_store_env, lock_store_env
from saphan.rasa_model import rasa_env, rasa_executable
from testsupport.stack import free_port

PASSWORD = "s3cret-lock-pw-41d2"


def test_every_part_of_the_url_reaches_the_lock_store_variables() -> None:
    assert lock_store_env(f"rediss://saphan:{PASSWORD}@redis.internal:6380/5") == {
        "RASA_LOCK_STORE": "redis", "RASA_REDIS_HOST": "redis.internal",
        "RASA_REDIS_PORT": "6380", "RASA_REDIS_DB": "5", "RASA_REDIS_USERNAME": "saphan",
        "RASA_REDIS_AUTH": PASSWORD, "RASA_REDIS_USE_SSL": "true"}
    plain = lock_store_env("redis://redis")
    assert (plain["RASA_REDIS_PORT"], plain["RASA_REDIS_DB"], plain["RASA_REDIS_AUTH"],
            plain["RASA_REDIS_USE_SSL"]) == ("6379", "0", "", "")
    assert lock_store_env("redis://:p%40ss@h/2")["RASA_REDIS_AUTH"] == "p@ss"
    assert lock_store_env("")["RASA_LOCK_STORE"] == "in_memory"
    for bad in ("http://h", "redis://h/zero"):
        with pytest.raises(ValueError):
            lock_store_env(bad)


def test_the_url_wins_and_without_it_the_deployment_values_stay() -> None:
    env = {"SAPHAN_REDIS_URL": "redis://:pw@r:1/2", "RASA_REDIS_DB": "9"}
    apply_lock_store_env(env)
    assert (env["RASA_REDIS_DB"], env["RASA_REDIS_AUTH"]) == ("2", "pw")
    kept = {"RASA_LOCK_STORE": "redis", "RASA_REDIS_HOST": "r"}
    apply_lock_store_env(kept)
    assert kept["RASA_LOCK_STORE"] == "redis" and kept["RASA_REDIS_DB"] == "0"


@pytest.fixture
def redis_with_password() -> Iterator[int]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server not installed")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--requirepass", PASSWORD],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while _cli(port, "PING") != "PONG":
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def _cli(port: int, *command: str, db: int = 0) -> str:
    done = subprocess.run(["redis-cli", "-p", str(port), "-a", PASSWORD, "--no-auth-warning",
                           "-n", str(db), *command], capture_output=True, text=True, check=False)
    return done.stdout.strip()


TAKE_A_LOCK = """
import logging
logging.basicConfig(level=logging.DEBUG)
from saphan.rasa_launch import apply_lock_store_env
apply_lock_store_env()
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.utils import AvailableEndpoints
from saphan.paths import BOT_DIR

endpoints = AvailableEndpoints.read_endpoints(str(BOT_DIR / "endpoints.yml"))
store = LockStore.create(endpoints.lock_store)
assert isinstance(store, RedisLockStore), type(store)
store.issue_ticket("conversation-7")
print("lock taken")
"""


def test_rasa_takes_its_lock_in_the_database_and_with_the_password_of_the_url(
        redis_with_password: int) -> None:
    port = redis_with_password
    env = {**rasa_env(), "SAPHAN_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:{port}/3",
           "SAPHAN_ACTION_SERVER_URL": "http://127.0.0.1:1", "SAPHAN_ACTION_SERVER_TOKEN": "t",
           "RASA_TRACKER_DIALECT": "sqlite", "RASA_TRACKER_URL": "sqlite:///:memory:"}
    done = subprocess.run([str(rasa_executable().with_name("python")), "-c", TAKE_A_LOCK],
                          env=env, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "lock taken" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr  # debug logging on: still no password
    assert "conversation-7" in _cli(port, "KEYS", "*", db=3)
    assert _cli(port, "KEYS", "*", db=0) == ""
