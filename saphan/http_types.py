"""Parameter types shared by the HTTP routes: bounded integers (ids beyond the database's
integer range are refused with 422 instead of reaching the database, where an overflow would
be a 500) and the database session of a request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query
from sqlalchemy.orm import Session

from saphan.db import session_scope

MAX_ROW_ID = 2**31 - 1  # PostgreSQL INTEGER; SQLite's range is wider

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
"""A row id in a URL path."""
AfterId = Annotated[int, Query(ge=0, le=MAX_ROW_ID)]
"""'rows after this id' in a query string."""


def request_session() -> Iterator[Session]:
    """One transaction per request: committed when the handler returns (before the response
    is sent, so a client or a redirect never sees stale data), rolled back if it raises."""
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(request_session, scope="function")]
"""The request's database session (the edge where routes open their one transaction)."""
