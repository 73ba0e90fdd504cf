"""Export screening records in IOM HTCDS field names and picklist values (CSV and JSON)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from saphan.csv_safe import SafeDictWriter
from screening.loader import DATA_DIR, ScreeningData, default_screening, load_model
from screening.records import ScreeningRecord

HTCDS_FILE = DATA_DIR / "htcds.yml"
EXTENSION_PREFIX = "saphan_"
EXTENSION_FIELDS = (
    "saphan_ScreeningId",
    "saphan_ScreenedAt",
    "saphan_Agency",
    "saphan_QuestionnaireVersion",
    "saphan_IndicatorList",
    "saphan_Result",
    "saphan_PositiveDimensions",
    "saphan_IndicatorsPresent",
    "saphan_Under18",
    "saphan_Sector",
    "saphan_Nationality",
    "saphan_Province",
)
#: Person-facing mode (`screening.person_mode`): who answered, in which language (a code of
#: `saphan.language`), whether the person saw unreviewed draft texts ("yes"/"no"). HTCDS has
#: no such field; they come after the HTCDS columns, so earlier columns keep their places.
PERSON_MODE_FIELDS = ("saphan_AnsweredBy", "saphan_PersonLanguage", "saphan_DraftsShown")
HTCDS_KEYS = ("methods_of_control", "labour_industry", "labour_subdivision", "trafficking_status")


class SectorMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    industry: str | None = None
    subdivision: str | None = None


class HtcdsMapping(BaseModel):
    """The mapping file `data/htcds.yml`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    multiselect_separator: str = Field(min_length=1)
    fields: dict[str, str]
    sector: dict[str, SectorMapping]
    trafficking_status: dict[str, str | None]

    @field_validator("fields")
    @classmethod
    def _all_fields(cls, value: dict[str, str]) -> dict[str, str]:
        if set(value) != set(HTCDS_KEYS):
            raise ValueError(f"fields: needs exactly {', '.join(HTCDS_KEYS)}")
        return value

    def columns(self) -> list[str]:
        """Export columns: the extension fields, the HTCDS fields, the person-mode fields."""
        return [*EXTENSION_FIELDS, *(self.fields[key] for key in HTCDS_KEYS),
                *PERSON_MODE_FIELDS]


def load_mapping(path: Path = HTCDS_FILE) -> HtcdsMapping:
    return load_model(path, HtcdsMapping)


@cache
def default_mapping() -> HtcdsMapping:
    return load_mapping()


def to_htcds(
    record: ScreeningRecord,
    data: ScreeningData | None = None,
    mapping: HtcdsMapping | None = None,
) -> dict[str, Any]:
    """One record as {field name: value}; multiselect values are lists, absent values None."""
    data = data or default_screening()
    mapping = mapping or default_mapping()
    result = record.result
    present = [i for d in data.questionnaire.dimension_ids() for i in result.indicators.get(d, ())]
    methods: list[str] = []
    for item_id in present:
        for value in data.questionnaire.item(item_id).htcds_methods_of_control:
            if value not in methods:
                methods.append(value)
    sector = record.context.get("sector")
    industry = mapping.sector.get(sector or "", SectorMapping())
    under_18 = record.context.get("under_18")
    extension = (
        record.id,
        record.created_at.isoformat(),
        record.agency,
        record.questionnaire_version,
        result.list_id,
        result.category,
        list(result.positive_dimensions),
        present,
        under_18,
        sector,
        record.context.get("nationality"),
        record.context.get("province"),
    )
    htcds = {
        "methods_of_control": methods,
        "labour_industry": [industry.industry] if industry.industry else [],
        "labour_subdivision": industry.subdivision,
        "trafficking_status": mapping.trafficking_status[result.category],
    }
    row: dict[str, Any] = dict(zip(EXTENSION_FIELDS, extension, strict=True))
    row.update((mapping.fields[key], htcds[key]) for key in HTCDS_KEYS)
    row.update(zip(PERSON_MODE_FIELDS, (record.answered_by, record.person_language,
                                        "yes" if record.drafts_shown else "no"), strict=True))
    return row


def export_json(records: Iterable[ScreeningRecord], **kwargs: Any) -> str:
    """Records as a JSON array of HTCDS rows."""
    return json.dumps([to_htcds(r, **kwargs) for r in records], ensure_ascii=False, indent=2)


def export_csv(records: Iterable[ScreeningRecord], **kwargs: Any) -> str:
    """Records as CSV; multiselect values joined with the separator from htcds.yml."""
    mapping = kwargs.get("mapping") or default_mapping()
    out = io.StringIO()
    writer = SafeDictWriter(out, fieldnames=mapping.columns(), lineterminator="\n")
    writer.writeheader()
    for record in records:
        row = to_htcds(record, **kwargs)
        writer.writerow(
            {
                key: mapping.multiselect_separator.join(value)
                if isinstance(value, list)
                else ("" if value is None else value)
                for key, value in row.items()
            }
        )
    return out.getvalue()
