"""Writing validated records to the database and reading them back (import/export core)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, selectinload

from referral_directory.models import Organisation, Service
from referral_directory.records import ServiceRecord
from referral_directory.samples import refuse_samples

_SERVICE_FIELDS = (
    *("name_en", "name_th", "description_en", "description_th", "address", "province"),
    *("district", "latitude", "longitude", "national", "phones", "line_id", "website"),
    *("email", "opening_hours", "is_24h", "languages", "cost_notes", "eligibility_notes"),
    *("source", "source_url", "source_note", "confidence", "last_verified", "needs_phone"),
    "sample",
)


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def _organisation_ids(session: Session, records: list[ServiceRecord]) -> dict[str, int]:
    wanted: dict[str, ServiceRecord] = {}
    for r in records:
        if r.organisation_id and (r.organisation_id not in wanted or r.organisation_name_en):
            wanted[r.organisation_id] = r
    existing = (
        {
            o.external_id: o
            for o in session.scalars(
                select(Organisation).where(Organisation.external_id.in_(list(wanted)))
            )
        }
        if wanted
        else {}
    )
    for ext_id, r in wanted.items():
        org = existing.get(ext_id)
        name_en = r.organisation_name_en or (org.name_en if org else ext_id)
        if org is None:
            org = Organisation(external_id=ext_id, name_en=name_en, name_th=r.organisation_name_th)
            session.add(org)
            existing[ext_id] = org
        elif r.organisation_name_en:
            org.name_en, org.name_th = r.organisation_name_en, r.organisation_name_th
    session.flush()
    return {ext_id: org.id for ext_id, org in existing.items()}


def _row(record: ServiceRecord, org_ids: dict[str, int]) -> dict[str, object]:
    row: dict[str, object] = {f: getattr(record, f) for f in _SERVICE_FIELDS}
    row["service_type"] = record.type
    row["organisation_id"] = org_ids.get(record.organisation_id or "")
    return row


def upsert_records(
    session: Session, records: list[ServiceRecord], chunk: int = 2000
) -> ImportReport:
    """Create or update services by external id inside the caller's transaction; in
    production a sample entry refuses the whole batch (`SamplesNotAllowedError`)."""
    refuse_samples([r.id for r in records if r.sample])
    org_ids = _organisation_ids(session, records)
    columns = ["external_id", "service_type", "organisation_id", *_SERVICE_FIELDS]
    created = updated = unchanged = 0
    for start in range(0, len(records), chunk):
        part = records[start : start + chunk]
        current = {
            row.external_id: row
            for row in session.execute(
                select(Service.id, *[getattr(Service, c) for c in columns]).where(
                    Service.external_id.in_([r.id for r in part])
                )
            )
        }
        inserts, updates = [], []
        for record in part:
            row = {"external_id": record.id, **_row(record, org_ids)}
            old = current.get(record.id)
            if old is None:
                inserts.append(row)
            elif any(getattr(old, c) != row[c] for c in columns):
                updates.append({"id": old.id, **row})
            else:
                unchanged += 1
        if inserts:
            session.execute(insert(Service), inserts)
        if updates:
            session.execute(update(Service), updates)
        created += len(inserts)
        updated += len(updates)
    session.flush()
    return ImportReport(created, updated, unchanged)


def to_record(service: Service) -> ServiceRecord:
    """A stored service as a record (for export and the API)."""
    org = service.organisation
    return ServiceRecord.model_validate(
        {
            "id": service.external_id,
            "type": service.service_type,
            "organisation_id": org.external_id if org else None,
            "organisation_name_en": org.name_en if org else None,
            "organisation_name_th": org.name_th if org else None,
            **{f: getattr(service, f) for f in _SERVICE_FIELDS},
        }
    )


def all_records(session: Session) -> list[ServiceRecord]:
    """Every service in external-id order."""
    stmt = select(Service).order_by(Service.external_id)
    return [to_record(s) for s in session.scalars(stmt)]


def delete_service(session: Session, service_id: int) -> bool:
    """Delete one service by row id; False when there is none."""
    service = session.get(Service, service_id)
    if service is None:
        return False
    session.delete(service)
    return True


def by_external_id(session: Session, external_id: str) -> Service | None:
    """One service (with its organisation) by its stable external id, retired or not."""
    stmt = (select(Service).options(selectinload(Service.organisation))
            .where(Service.external_id == external_id))
    return session.scalars(stmt).first()


def mark_verified(session: Session, service: Service, username: str, day: date) -> None:
    """Someone checked the entry's facts on `day` (`upkeep.verify` records it in the history)."""
    service.last_verified = day
    service.verified_by = username
    session.flush()


def set_retired(session: Session, service: Service, day: date | None) -> None:
    """Retire a service on `day` (hidden from every search, never deleted) or bring it back
    (None)."""
    service.retired_on = day
    session.flush()


def delete_samples(session: Session) -> int:
    """Delete every sample entry (before production); returns how many."""
    return session.execute(delete(Service).where(Service.sample.is_(True))).rowcount or 0
