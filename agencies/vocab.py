"""Agency kinds (the NRM actors of ../shared/reference/nrm.md) and the fixed code of the default
agency that existing accounts and cases migrate into."""

from __future__ import annotations

AGENCY_KINDS: tuple[str, ...] = (
    "police", "immigration", "anti_trafficking_police", "dsi", "labour_protection",
    "employment", "msdhs_provincial", "shelter", "prosecutor", "ngo",
    "international_organisation", "hospital", "embassy",
)
#: Accounts and cases that existed before agencies (migration 0009) belong to this agency.
DEFAULT_AGENCY_CODE = "default"
