"""The NRM pathway (`nrm/data/pathway.yml`) as a checked state machine, framework-free.

Why data: which agency kind may move a case between which NRM stages is policy that DATIP and
the NRM Steering Committee own; it changes without code. This module loads the file (errors
name the file and the item), answers `check(from, to, agency kind)` and validates what a move
records. It applies nothing to the database: `cases.stages` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from agencies.vocab import AGENCY_KINDS
from saphan.data_files import read_yaml as read_data_file
from saphan.data_files import validation_message

PATHWAY_FILE = Path(__file__).resolve().parent / "data" / "pathway.yml"
MAIN = "main"
_ID = r"^[a-z][a-z0-9_]*$"
FieldType = Literal["text", "date", "choice", "choices"]
MAX_TEXT = 300


class PathwayDataError(ValueError):
    """The pathway file is missing, unreadable or invalid (message names file and item)."""


class TransitionRefused(ValueError):
    """The pathway does not allow this move for this agency kind (message says what would)."""


class RecordInvalid(ValueError):
    """What a move records is incomplete or has fields the move does not record."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Review(_Strict):
    state: Literal["machine_draft", "draft", "reviewed"]
    by: str = Field(min_length=1)
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")


class TimeLimit(_Strict):
    """The stage must be left for `until` within `days` (the due date of the stage)."""

    days: int = Field(gt=0)
    until: str
    source: str = Field(min_length=1)


class Stage(_Strict):
    id: str = Field(pattern=_ID)
    track: str = Field(pattern=_ID)
    start: bool = False
    time_limit: TimeLimit | None = None
    source: tuple[str, ...] = Field(min_length=1)


class RecordField(_Strict):
    """One field a move records; `share`: only shown to agencies given that share item."""

    name: str = Field(pattern=_ID)
    type: FieldType
    required: bool
    options: tuple[str, ...] = ()
    share: str | None = None

    @model_validator(mode="after")
    def _options_match_type(self) -> RecordField:
        if self.type in ("choice", "choices") and not self.options:
            raise ValueError(f"field {self.name!r}: a {self.type} field needs options")
        if self.type not in ("choice", "choices") and self.options:
            raise ValueError(f"field {self.name!r}: only choice fields have options")
        return self


class Transition(_Strict):
    """Moves from any of `from_stages` to `to`, made by the agency kinds `kinds`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_stages: tuple[str, ...] = Field(alias="from", min_length=1)
    to: str
    by: tuple[str, ...] = Field(min_length=1)
    records: tuple[RecordField, ...] = ()
    date_field: str | None = None
    mdt_decision: bool = False
    kinds: tuple[str, ...] = ()  # `by` with the groups expanded (filled by the loader)

    def allows(self, agency_kind: str) -> bool:
        return agency_kind in self.kinds

    def from_stage_for(self, pathway: Pathway, current: Mapping[str, str]) -> str | None:
        """The stage this move would leave, given the current stage per track, or None."""
        here = pathway.leaving(current, self.to)
        return here if here in self.from_stages else None

    def validate_record(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record with typed values (dates as ISO text, choices as lists); raises
        RecordInvalid naming every missing, unknown or bad field."""
        fields = {f.name: f for f in self.records}
        problems = [f"unknown field {name!r} (this move records: "
                    f"{', '.join(fields) or 'nothing'})"
                    for name in record if name not in fields]
        clean: dict[str, Any] = {}
        for spec in self.records:
            value, problem = _field_value(spec, record.get(spec.name))
            if problem:
                problems.append(f"{spec.name}: {problem}")
            elif value not in (None, "", []):
                clean[spec.name] = value
        if problems:
            raise RecordInvalid(f"moving to {self.to}: " + "; ".join(problems))
        return clean


def _field_value(spec: RecordField, raw: Any) -> tuple[Any, str | None]:
    """(value, problem) for one record field."""
    empty = raw is None or raw == "" or raw == [] or (isinstance(raw, str) and not raw.strip())
    if empty:
        return None, "required" if spec.required else None
    if spec.type == "choices":
        values = [raw] if isinstance(raw, str) else list(raw)
        bad = [v for v in values if v not in spec.options]
        if bad:
            return None, f"{', '.join(map(str, bad))} not one of {', '.join(spec.options)}"
        return [o for o in spec.options if o in values], None
    if not isinstance(raw, str | date):
        return None, "expected one value"
    if spec.type == "date":
        try:
            return (raw if isinstance(raw, date) else date.fromisoformat(raw.strip())
                    ).isoformat(), None
        except ValueError:
            return None, f"{raw!r} is not a date (YYYY-MM-DD)"
    text = str(raw).strip()
    if spec.type == "choice" and text not in spec.options:
        return None, f"{text!r} not one of {', '.join(spec.options)}"
    if len(text) > MAX_TEXT:
        return None, f"longer than {MAX_TEXT} characters"
    return text, None


class Pathway(_Strict):
    """The whole pathway file, checked: every name refers to something that exists, one start
    stage, every stage reachable from it."""

    version: str = Field(min_length=1)
    review: Review
    kinds: dict[str, tuple[str, ...]] = {}
    stages: tuple[Stage, ...] = Field(min_length=1)
    transitions: tuple[Transition, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Pathway:
        for group, members in self.kinds.items():
            unknown = sorted(set(members) - set(AGENCY_KINDS))
            if unknown:
                raise ValueError(f"kinds.{group}: unknown agency kind(s) {', '.join(unknown)}; "
                                 f"known: {', '.join(AGENCY_KINDS)}")
        ids = [s.id for s in self.stages]
        duplicate = sorted({i for i in ids if ids.count(i) > 1})
        if duplicate:
            raise ValueError(f"stages: duplicate id(s) {', '.join(duplicate)}")
        starts = [s.id for s in self.stages if s.start]
        if len(starts) != 1 or self.stage(starts[0]).track != MAIN:
            raise ValueError(f"stages: exactly one start stage on the {MAIN} track, found "
                             f"{starts or 'none'}")
        for stage in self.stages:
            if stage.time_limit and stage.time_limit.until not in ids:
                raise ValueError(f"stages (id {stage.id!r}).time_limit.until: unknown stage "
                                 f"{stage.time_limit.until!r}")
        expanded = []
        for index, move in enumerate(self.transitions):
            where = f"transitions[{index}] (to {move.to!r})"
            if move.kinds:
                raise ValueError(f"{where}.kinds: filled from `by`; write the agency kinds "
                                 "or groups there")
            for name in (*move.from_stages, move.to):
                if name not in ids:
                    raise ValueError(f"{where}: unknown stage {name!r}; known: {', '.join(ids)}")
            kinds: list[str] = []
            for name in move.by:
                if name in self.kinds:
                    kinds += self.kinds[name]
                elif name in AGENCY_KINDS:
                    kinds.append(name)
                else:
                    raise ValueError(f"{where}.by: {name!r} is neither an agency kind nor a "
                                     f"group of `kinds`")
            names = [f.name for f in move.records]
            if len(set(names)) != len(names):
                raise ValueError(f"{where}.records: duplicate field names")
            if move.date_field is not None and not any(
                    f.name == move.date_field and f.type == "date" for f in move.records):
                raise ValueError(f"{where}.date_field: {move.date_field!r} is not a date field "
                                 "of its records")
            to_track = self.stage(move.to).track
            for origin in move.from_stages:
                if self.stage(origin).track not in (to_track, MAIN):
                    raise ValueError(f"{where}: {origin!r} is on another side track")
            expanded.append(move.model_copy(update={"kinds": tuple(dict.fromkeys(kinds))}))
            for other in expanded[:-1]:
                if other.to == move.to and set(other.from_stages) & set(move.from_stages):
                    raise ValueError(f"{where}: repeats a move of an earlier transition")
        # The model is frozen; the expanded kinds are part of loading, so set them once here.
        object.__setattr__(self, "transitions", tuple(expanded))
        unreachable = sorted(set(ids) - self._reachable(starts[0]))
        if unreachable:
            raise ValueError(f"stages: not reachable from {starts[0]!r}: "
                             f"{', '.join(unreachable)}")
        return self

    def _reachable(self, start: str) -> set[str]:
        seen, todo = {start}, [start]
        while todo:
            here = todo.pop()
            for move in self.transitions:
                if here in move.from_stages and move.to not in seen:
                    seen.add(move.to)
                    todo.append(move.to)
        return seen

    # -- questions -------------------------------------------------------------------------
    @property
    def start(self) -> str:
        return next(s.id for s in self.stages if s.start)

    @property
    def stage_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.stages)

    @property
    def tracks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.track for s in self.stages))

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(f"unknown NRM stage {stage_id!r}")

    def leaving(self, current: Mapping[str, str], to_stage: str) -> str:
        """The stage a move to `to_stage` leaves: the current stage of its track, or of the
        main track when that track has not started (`current` is `{track: stage}`)."""
        track = self.stage(to_stage).track
        return current.get(track) or current.get(MAIN) or self.start

    def next_moves(self, current: Mapping[str, str], agency_kind: str | None = None
                   ) -> list[Transition]:
        """The moves open from the current stage of each track (`{track: stage}`; a track
        not started is entered from the main track), for one agency kind or any."""
        found = []
        for move in self.transitions:
            if move.from_stage_for(self, current) and (
                    agency_kind is None or move.allows(agency_kind)):
                found.append(move)
        return found

    def check(self, from_stage: str, to_stage: str, agency_kind: str) -> Transition:
        """The transition moving a case from `from_stage` to `to_stage` when `agency_kind`
        asks; TransitionRefused (naming the allowed kinds or moves) otherwise."""
        for name in (from_stage, to_stage):
            if name not in self.stage_ids:
                raise TransitionRefused(f"unknown NRM stage {name!r}; known: "
                                        f"{', '.join(self.stage_ids)}")
        if agency_kind not in AGENCY_KINDS:
            raise TransitionRefused(f"unknown agency kind {agency_kind!r}")
        for move in self.transitions:
            if move.to == to_stage and from_stage in move.from_stages:
                if move.allows(agency_kind):
                    return move
                raise TransitionRefused(
                    f"{agency_kind} may not move a case from {from_stage} to {to_stage}; "
                    f"allowed: {', '.join(move.kinds)}")
        reachable = [t.to for t in self.transitions if from_stage in t.from_stages]
        raise TransitionRefused(
            f"the NRM pathway has no move from {from_stage} to {to_stage}; allowed from "
            f"{from_stage}: {', '.join(reachable) or 'none (final stage)'}")


def read_yaml(path: Path) -> Any:
    return read_data_file(path, PathwayDataError, "NRM pathway")


def load_pathway(path: Path = PATHWAY_FILE) -> Pathway:
    """Load and check a pathway file; PathwayDataError names the file and the item."""
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise PathwayDataError(f"{path}: expected a mapping at the top level")
    try:
        return Pathway.model_validate(raw)
    except ValidationError as exc:
        raise PathwayDataError(validation_message(path, "NRM pathway", raw, exc)) from None


@cache
def default_pathway() -> Pathway:
    """The bundled pathway (loaded once)."""
    return load_pathway()
