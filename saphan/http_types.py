"""Bounded integer types for HTTP path/query parameters: ids beyond the database's integer
range are refused with 422 instead of reaching the database (an overflow would be a 500)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

MAX_ROW_ID = 2**31 - 1  # PostgreSQL INTEGER; SQLite's range is wider

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
"""A row id in a URL path."""
AfterId = Annotated[int, Query(ge=0, le=MAX_ROW_ID)]
"""'rows after this id' in a query string."""
