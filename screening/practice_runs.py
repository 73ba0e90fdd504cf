"""Finished practice runs (table `practice_runs`, this module is its only writer) and the
trainer's view of a cohort: per practice case how many runs got the right result and how many
taps and minutes they took, per indicator how often officers missed it or recorded it wrongly.

A practice run is a fictional case (`screening.practice`): it holds no person's data and is
never a screening record. An officer joins a training cohort by typing "cohort <code>" in the
screening chat (`screening.commands`); the cohort is kept for the run and the officer's next
practice starts in the cohort of their last run. Retention deletes runs
`SAPHAN_RETENTION_PRACTICE_RUN_MONTHS` after they finished (`purge_before`).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, true
from sqlalchemy.orm import Session

from saphan.db import utcnow
from screening.models import PracticeRun
from screening.practice import Feedback, PracticeFile

#: A cohort code as a trainer hands it out: 2–20 letters, digits, "-" or "_"; kept upper case.
COHORT = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,19}$")


class CohortError(ValueError):
    """Not a cohort code (the officer is told the format)."""


def cohort_code(typed: str) -> str:
    """The cohort code the officer typed, normalised (upper case); raises `CohortError`."""
    code = typed.strip().upper()
    if not COHORT.fullmatch(code):
        raise CohortError("a cohort code is 2-20 letters, digits, '-' or '_'")
    return code


def record_run(session: Session, officer_id: int | None, agency: str, cohort: str | None,
               result: Feedback) -> PracticeRun:
    """Keep one finished practice run for the trainer's view."""
    row = PracticeRun(
        officer_id=officer_id, agency=agency[:120],
        cohort=cohort_code(cohort) if cohort else None, case_key=result.case_id,
        finished_at=utcnow(), expected_category=result.expected,
        recorded_category=result.result, right_result=result.right_result,
        missed=list(result.missed), wrong=list(result.wrong), not_asked=list(result.not_asked),
        interactions=result.interactions, seconds=result.seconds,
    )
    session.add(row)
    session.flush()
    return row


def purge_before(session: Session, cutoff: datetime) -> dict[str, int]:
    """Retention: runs finished before `cutoff` are deleted. They hold no person's data, but
    they hold each officer's training results, which a trainer needs for a course, not for
    ever."""
    done = session.execute(delete(PracticeRun).where(PracticeRun.finished_at < cutoff)).rowcount
    return {"practice_runs_deleted": int(done or 0)}


def last_cohort(session: Session, officer_id: int) -> str | None:
    """The cohort of the officer's latest practice run with one (their next run's default)."""
    return session.scalars(
        select(PracticeRun.cohort)
        .where(PracticeRun.officer_id == officer_id, PracticeRun.cohort.is_not(None))
        .order_by(PracticeRun.finished_at.desc(), PracticeRun.id.desc()).limit(1)
    ).first()


def _of_agencies(agencies: Collection[str] | None) -> ColumnElement[bool]:
    """Where-clause: runs of officers enrolled for one of `agencies` (names as the enrollment
    codes gave them, compared case-insensitively); None: every agency."""
    if agencies is None:
        return true()
    return func.lower(PracticeRun.agency).in_(sorted({a.casefold() for a in agencies}))


def cohorts(session: Session, agencies: Collection[str] | None) -> list[tuple[str | None, int]]:
    """(cohort, runs) of the runs of these agencies, latest cohort first (None: runs without a
    cohort)."""
    rows = session.execute(
        select(PracticeRun.cohort, func.count(PracticeRun.id), func.max(PracticeRun.id))
        .where(_of_agencies(agencies)).group_by(PracticeRun.cohort)
    ).all()
    rows.sort(key=lambda r: (r[0] is None, -r[2]))
    return [(cohort, n) for cohort, n, _ in rows]


def runs(session: Session, cohort: str | None,
         agencies: Collection[str] | None) -> list[PracticeRun]:
    """The runs of one cohort (None: runs without a cohort) by officers of these agencies."""
    where = PracticeRun.cohort.is_(None) if cohort is None else PracticeRun.cohort == cohort
    return list(session.scalars(select(PracticeRun).where(where, _of_agencies(agencies))
                                .order_by(PracticeRun.id)))


@dataclass(frozen=True)
class CaseResults:
    """One practice case in a cohort."""

    case_key: str
    runs: int
    right: int
    median_interactions: float
    median_minutes: float | None  # None: no run had its time

    @property
    def right_percent(self) -> int:
        return round(100 * self.right / self.runs)


@dataclass(frozen=True)
class IndicatorResults:
    """One indicator in a cohort: in how many runs the case had it (the person says yes), how
    often it was missed (asked, not recorded yes) and recorded yes wrongly."""

    item_id: str
    present: int
    missed: int
    wrong: int

    @property
    def missed_percent(self) -> int | None:
        return round(100 * self.missed / self.present) if self.present else None


def by_case(found: Iterable[PracticeRun]) -> list[CaseResults]:
    """Per practice case (in case-key order)."""
    grouped: dict[str, list[PracticeRun]] = {}
    for run in found:
        grouped.setdefault(run.case_key, []).append(run)
    results = []
    for key in sorted(grouped):
        group = grouped[key]
        seconds = [r.seconds for r in group if r.seconds is not None]
        results.append(CaseResults(
            key, len(group), sum(r.right_result for r in group),
            statistics.median(r.interactions for r in group),
            round(statistics.median(seconds) / 60, 1) if seconds else None))
    return results


def by_indicator(found: Iterable[PracticeRun], practice: PracticeFile) -> list[IndicatorResults]:
    """Per indicator missed or recorded wrongly at least once, the most missed first (then the
    most often recorded wrongly); `present` counts the runs whose case has it (from the case
    library, so a case removed since counts only what its runs recorded)."""
    truth = {case.id: {i for i, a in case.truth.items() if a == "yes"}
             for case in practice.cases}
    present: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    for run in found:
        present.update(truth.get(run.case_key, set(run.missed)))
        missed.update(run.missed)
        wrong.update(run.wrong)
    ids = set(missed) | set(wrong)
    rows = [IndicatorResults(i, present[i], missed[i], wrong[i]) for i in ids]
    rows.sort(key=lambda r: (-r.missed, -r.wrong, r.item_id))
    return rows
