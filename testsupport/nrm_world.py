"""A small world for the NRM tests (tests/cases, tests/nrm): the bundled example agencies of
Tak, one account in each, a case owned by the provincial social-welfare office (MSDHS) and
hand-overs between them."""

from __future__ import annotations

from dataclasses import dataclass

from agencies import store
from agencies.bundled import load_examples
from cases import referrals, service
from cases.accounts import add_caseworker
from cases.models import Caseworker
from saphan.db import in_session, session_scope

PASSWORD = "correct horse battery staple"
#: account name -> agency code (kinds: msdhs_provincial, anti_trafficking_police, ngo, shelter,
#: prosecutor).
ACCOUNTS = {"somchai": "tak-msdhs", "police": "tak-police-atp", "ngo": "tak-ngo",
            "shelter": "tak-shelter", "prosecutor": "tak-prosecutor"}


@dataclass(frozen=True)
class World:
    agencies: dict[str, int]  # code -> id
    workers: dict[str, int]  # account name -> caseworker id

    def worker(self, session, name: str) -> Caseworker:  # type: ignore[no-untyped-def]
        return session.get(Caseworker, self.workers[name])

    def agency(self, session, name: str):  # type: ignore[no-untyped-def]
        """The agency of an account."""
        return store.get(session, self.agencies[ACCOUNTS[name]])


def make_world() -> World:
    with session_scope() as session:
        load_examples(session)
        agencies = {code: store.by_code(session, code).id for code in set(ACCOUNTS.values())}
    workers = {name: in_session(add_caseworker, name, PASSWORD, "caseworker", name.title(),
                                agencies[code]).id
               for name, code in ACCOUNTS.items()}
    return World(agencies, workers)


def new_case(world: World, conversation: str = "c1", owner: str = "somchai",
             source: str = "request", **kw: object) -> int:
    return in_session(service.create_case, service.NewCase(
        conversation_id=conversation, priority="high", source=source,
        agency_id=world.agencies[ACCOUNTS[owner]], **kw)).case.id


def hand_over(world: World, case_id: int, sender: str, receiver: str, shares: list[str],
              summary: str = "") -> int:
    """Refer the case from `sender`'s agency to `receiver`'s with consent; `receiver` accepts."""
    with session_scope() as session:
        ref = referrals.refer(session, case_id, referrals.HandoverIn(
            reason="AdditionalServicesRequired", to_agency_id=world.agencies[ACCOUNTS[receiver]],
            summary_for_receiver=summary, shares=shares, consent="given",
            consent_method="in_person", consent_language="th"), world.worker(session, sender))
        ref_id = ref.id
    with session_scope() as session:
        referrals.accept(session, ref_id, world.worker(session, receiver))
    return ref_id
