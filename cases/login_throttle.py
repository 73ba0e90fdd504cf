"""Login throttling that cannot lock out the person on duty (table `login_throttle`, written
only here).

Failed logins slow down only the (account name, client address) pair they came from: after n
failures that pair's next attempt is checked no sooner than 1, 2, 4 ... seconds (capped) after
the last one, and a correct password then always gets in. Someone guessing the on-duty
account's password from elsewhere delays only themselves. The pair is stored as a keyed hash,
never in clear; the state is in the database, so every gateway replica shares it.

An attempt claims its slot before the password is checked (a compare-and-set on the failure
count), so parallel requests from one pair cannot all slip through the same free slot."""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cases.models import LoginThrottle
from saphan.db import utcnow

log = logging.getLogger(__name__)

#: A pair with no failure for this long starts again from no delay.
FORGET_AFTER = timedelta(hours=1)


def pair_key(secret: str, username: str, address: str) -> str:
    """The stored key of (account name, client address): an HMAC, so neither can be read back."""
    pair = f"{username.strip().lower()}\n{address}".encode()
    return hmac.new(secret.encode(), pair, hashlib.sha256).hexdigest()


def delay_s(failures: int, max_s: float) -> float:
    """Wait before the next attempt after `failures` failures: 0, 1, 2, 4 ... up to `max_s`."""
    return 0.0 if failures <= 0 else min(max_s, 2.0 ** min(failures - 1, 30))


def attempt(session: Session, key: str, max_s: float) -> float:
    """Claim the pair's next attempt: 0.0 when the password may be checked now (counted as a
    failure until `succeeded`), else the seconds still to wait (this try is not counted)."""
    now = utcnow()
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    session.execute(insert(LoginThrottle).values(key=key, failures=0, last_failure_at=now)
                    .on_conflict_do_nothing(index_elements=["key"]))
    stored, last = session.execute(
        select(LoginThrottle.failures, LoginThrottle.last_failure_at)
        .where(LoginThrottle.key == key)).one()
    failures = 0 if now - last >= FORGET_AFTER else stored
    wait = (last + timedelta(seconds=delay_s(failures, max_s)) - now).total_seconds()
    if wait > 0:
        return wait
    claimed = session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.failures == stored)
        .values(failures=failures + 1, last_failure_at=now)).rowcount
    if not claimed:  # another attempt of this pair claimed it just now
        return max(1.0, delay_s(failures + 1, max_s))
    if failures:
        log.info("login attempt after %d failure(s) of pair %s", failures, key[:12])
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - FORGET_AFTER))
    return 0.0


def succeeded(session: Session, key: str) -> None:
    """The pair logged in: its failures are forgotten."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
