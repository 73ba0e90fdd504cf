"""The case side of the gateway process: escalation (notify caseworkers), the live hand-off
relay (user <-> caseworker) and urgent re-notification.

`gateway/app.py` builds one `CaseRuntime` with its collaborators (settings, the live broker,
the caseworker recipients and a `UserMessenger` that sends to LINE) and starts and stops it.
The runtime is an edge: each step is one transaction of its own (`run_in_session`).

Routing (issue 17): a new case goes to the agency `agencies.routing.route` picks for the
person's province and the case source; caseworkers on LINE are told of the cases of their
agency (`CaseworkerRecipient.agency`, None = of every case). A hand-over to another agency
(`cases.referrals`) tells that agency's recipients with an anonymous text, and once more when
it is still pending past its due time (`remind_referrals`, run by the re-notify loop).

Hand-off has one source of truth, the case row's `handoff_active`. The gateway reads it with
`in_handoff` in the transaction that claims a person's event, and calls `to_case` (its
`HandoffHook`) before a message it would send to Rasa when the flag was set then (or when it
could not ask); while the flag is set the message goes into the case transcript and never to
Rasa. Rasa is not paused (its
tracker knows nothing of the hand-off), so ending a hand-off is clearing the flag: the user's
next message reaches the bot again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from agencies import routing
from agencies.models import Agency
from cases import notification_limits, referrals, service
from cases.live import Broker, case_summary
from cases.models import Case, CaseReferral
from cases.ports import UserMessenger
from cases.vocab import CLOSED_STATUSES, OPEN_STATUSES
from content.catalogue import text as catalogue_text
from content.keywords import load_matcher
from saphan.db import run_in_session, utcnow
from saphan.language import language_name
from saphan.line_messages import service_cards, text_message
from saphan.settings import CaseworkerRecipient, Settings

log = logging.getLogger("saphan.cases")
#: A caseworker who wrote in the case this recently is chatting live with the user: the bot
#: then stays quiet about forwarded messages (except emergencies).
LIVE_CHAT_WINDOW = timedelta(minutes=15)
#: Caseworkers' ready replies (texts `cases.<key>` in every language), in the order shown.
READY_REPLIES = ("reply_greeting", "reply_safe_now", "reply_coming", "reply_call",
                 "reply_location", "reply_closing")
RETRY_NAMESPACE = uuid.UUID("6f1c1f57-43a5-4f0e-9f43-3c1a7e0b9d11")


@dataclass(frozen=True)
class Forwarded:
    """A user message put into a case transcript during a live handoff."""

    case_id: int
    caseworker_chatting: bool  # a caseworker wrote in the case within LIVE_CHAT_WINDOW


class RelayError(RuntimeError):
    """The user of a case cannot be reached (unknown conversation or channel, LINE refused)."""


_summary = case_summary  # what live events say of a case (one place: cases.live)


def _routed(session: Session, new: service.NewCase, production: bool) -> service.Created:
    """Create the case in the agency routing picks (unless the caller named one)."""
    if new.agency_id is None:
        new.agency_id = routing.route(session, new.province, new.source,
                                      production=production).id
    return service.create_case(session, new)


def _agency_code(session: Session, agency_id: int | None) -> str | None:
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    return agency.code if agency is not None else None


def unknown_recipient_agencies(session: Session,
                               recipients: Sequence[CaseworkerRecipient]) -> list[str]:
    """The agency codes of `SAPHAN_CASEWORKER_LINE_RECIPIENTS` that name no agency: such a
    recipient is never told of anything (its cases and hand-overs never carry that code)."""
    codes = {r.agency for r in recipients if r.agency is not None}
    known = set(session.scalars(select(Agency.code).where(Agency.code.in_(sorted(codes)))))
    return sorted(codes - known)


def warn_unknown_recipient_agencies(session: Session,
                                    recipients: Sequence[CaseworkerRecipient]) -> list[str]:
    """At start-up: a warning naming the unknown agency codes and how many recipients have
    them (never the recipients' LINE ids)."""
    unknown = unknown_recipient_agencies(session, recipients)
    if unknown:
        count = sum(1 for r in recipients if r.agency in unknown)
        log.warning("SAPHAN_CASEWORKER_LINE_RECIPIENTS: %d recipient(s) name agency codes that "
                    "do not exist (%s): they are never notified; see `saphan agency list`",
                    count, ", ".join(unknown))
    return unknown


@dataclass(frozen=True)
class ReferralNotice:
    """What the runtime needs to tell a receiving agency of a hand-over (no person data)."""

    referral_id: int
    case_id: int
    to_agency_id: int
    to_agency_code: str
    reason: str
    priority: str
    state: str


def _referral_notice(session: Session, referral: CaseReferral | int) -> ReferralNotice | None:
    if isinstance(referral, int):
        referral = referrals.get(session, referral)
    code = _agency_code(session, referral.to_agency_id)
    if referral.to_agency_id is None or code is None:
        return None
    case = service.get_case(session, referral.case_id)
    return ReferralNotice(referral.id, referral.case_id, referral.to_agency_id, code,
                          referral.reason, case.priority, referral.state)


def _due_referral_notices(session: Session) -> list[ReferralNotice]:
    found = (_referral_notice(session, r) for r in referrals.due_for_reminder(session))
    return [n for n in found if n is not None]


def in_handoff(session: Session, conversation_id: str) -> bool:
    """Whether the conversation is in a live hand-off (the newest open case's flag, as
    `service.handoff_case_for` decides), read on the caller's session: the gateway asks it in
    the transaction that claims the person's event, so the common answer "no" costs one
    indexed read instead of a transaction of its own (`CaseRuntime.to_case` then runs only
    for conversations in a hand-off)."""
    return bool(session.connection().execute(  # Core: no ORM bookkeeping on the hot path
        _HANDOFF_FLAG, {"conversation_": conversation_id}).scalar())


#: `in_handoff`'s read, built once: building it per message cost ~0.3 ms, running it ~0.05 ms.
_HANDOFF_FLAG = (select(Case.handoff_active)
                 .where(Case.conversation_id == bindparam("conversation_"),
                        Case.status.in_(OPEN_STATUSES))
                 .order_by(Case.id.desc()).limit(1))


def _forward(session: Session, conversation_id: str, text: str, emergency: bool,
             ) -> tuple[int, int, bool, Case | None] | None:
    """(case id, message id, caseworker chatting, the case when an emergency word made it
    urgent) when the conversation is in a hand-off."""
    case = service.handoff_case_for(session, conversation_id)
    if case is None:
        return None
    message = service.add_message(session, case.id, "user", text[:service.MAX_TEXT])
    chatting = service.caseworker_wrote_since(session, case.id, utcnow() - LIVE_CHAT_WINDOW)
    raised = emergency and service.raise_priority(session, case.id, "urgent", "keyword")
    return case.id, message.id, chatting, case if raised else None


def _record_reply(session: Session, case_id: int, caseworker_id: int, text: str,
                  ) -> tuple[str, int]:
    case = service.get_case(session, case_id)
    if case.status in CLOSED_STATUSES:
        raise service.CaseError("case is closed")
    message = service.add_message(session, case_id, "caseworker", text, "text", caseworker_id)
    return case.conversation_id, message.id


def _ending(change: Callable[..., Case]) -> Callable[..., tuple[Case, bool]]:
    """Wrap a hand-off-ending change to also say whether the hand-off was active before."""
    def work(session: Session, case_id: int, *args: Any) -> tuple[Case, bool]:
        was_active = service.get_case(session, case_id).handoff_active
        return change(session, case_id, *args), was_active
    return work


class CaseRuntime:
    def __init__(self, settings: Settings, *, live: Broker,
                 recipients: Sequence[CaseworkerRecipient], messenger: UserMessenger) -> None:
        self.settings = settings
        self.live = live
        self.recipients = list(recipients)
        self.messenger = messenger
        self._tasks: set[asyncio.Task[Any]] = set()
        self._renotify: asyncio.Task[None] | None = None
        #: Notifications held by the limits in this process (a counter for /metrics).
        self.notifications_held = 0
        #: The LINE channels whose pushes are held now (gateway/app.py sets the reader; the
        #: dashboard queue shows a banner).
        self.pushes_held: Callable[[Session], list[str]] = lambda session: []

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Warn of recipients of unknown agencies; start urgent re-notification (call inside
        the running event loop)."""
        self.loop = asyncio.get_running_loop()
        self._background(self._check_recipients())
        self._renotify = asyncio.create_task(self._renotify_loop())

    async def _check_recipients(self) -> None:
        try:
            await run_in_session(warn_unknown_recipient_agencies, self.recipients)
        except Exception:  # the database not there yet: the workers will say so
            log.exception("checking the caseworker recipients' agencies failed")

    async def stop(self) -> None:
        if self._renotify:
            self._renotify.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, *(t for t in [self._renotify] if t),
                             return_exceptions=True)

    def _background(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def link(self, case_id: int) -> str:
        return f"{self.settings.gateway_url}/dashboard/cases/{case_id}"

    # -- escalation ----------------------------------------------------------------------------
    async def escalate(self, new: service.NewCase) -> service.Created:
        """Store the case (which starts the hand-off); notify caseworkers in the background."""
        created = await run_in_session(_routed, new, self.settings.production)
        case = created.case
        if created.created:
            self._background(self._notify(case, wide=False))
            self.live.publish("case_created", case=_summary(case))
        else:
            self.live.publish("case_updated", case=_summary(case))
        return created

    async def _notify(self, case: Case, wide: bool, overdue_level: int | None = None) -> None:
        """The first notice (level 1), an overdue reminder (`overdue_level`: same recipients)
        or the wider urgent re-notification (`wide`: every recipient)."""
        level = service.WIDE if wide else overdue_level or 1
        if not await run_in_session(service.mark_notified, case.id, level):
            return
        if not await self._within_limits(case):
            return
        if wide:
            minutes = round(self.settings.urgent_renotify_after_s / 60, 1)
            body = catalogue_text("cases", "renotify", None, id=case.id, minutes=minutes,
                                  link=self.link(case.id))
        elif overdue_level:
            target_s = self.settings.case_sla_s()[case.priority]
            waited_s = (utcnow() - case.created_at).total_seconds()
            body = catalogue_text("cases", "renotify_overdue", None, id=case.id,
                                  priority=case.priority, minutes=round(waited_s / 60),
                                  target=round(target_s / 60), link=self.link(case.id))
        else:
            province = f", {case.province}" if case.province else ""
            body = catalogue_text("cases", "new_case", None, id=case.id,
                                  priority=case.priority, source=case.source,
                                  language=language_name(case.language, "en"),
                                  province=province,
                                  summary=case.summary[:300] or "-", link=self.link(case.id))
        code = await run_in_session(_agency_code, case.agency_id)
        for recipient in self.recipients:
            if recipient.wide_only and not wide:
                continue
            if recipient.agency is not None and recipient.agency != code:
                continue  # told only of its own agency's cases
            key = str(uuid.uuid5(RETRY_NAMESPACE, f"{case.id}:{level}:{recipient.user_id}"))
            try:
                await self.messenger.notify(recipient.channel, recipient.user_id,
                                            [text_message(body)], key)
            except Exception as exc:
                log.warning("notifying a caseworker of case %s failed: %s", case.id, exc)

    async def _within_limits(self, case: Case) -> bool:
        """Take a notification slot (`cases.notification_limits`); when the limits hold this
        one: a log line without personal data, the counter, and on the first global hold of
        the window one message to every recipient saying notifications are held."""
        settings = self.settings
        decision = await run_in_session(
            notification_limits.take, case.conversation_id,
            person_max=settings.case_notify_person_max,
            global_max=settings.case_notify_global_max, window_s=settings.case_notify_window_s)
        if decision.allowed:
            return True
        self.notifications_held += 1
        log.warning("caseworker notification of case %s held: %s limit reached "
                    "(%d held by this process)", case.id, decision.limit, self.notifications_held)
        self.live.publish("notifications_held", limit=decision.limit)
        if decision.alert:
            minutes = round(settings.case_notify_window_s / 60)
            body = catalogue_text("cases", "notifications_held", None, minutes=minutes,
                                  link=f"{settings.gateway_url}/dashboard")
            for recipient in self.recipients:
                key = str(uuid.uuid5(RETRY_NAMESPACE, f"held:{decision.window_start.isoformat()}"
                                                      f":{recipient.user_id}"))
                try:
                    await self.messenger.notify(recipient.channel, recipient.user_id,
                                                [text_message(body)], key)
                except Exception as exc:
                    log.warning("telling a caseworker that notifications are held failed: %s",
                                exc)
        return False

    async def renotify_due(self) -> list[int]:
        """Notify urgent cases unclaimed for too long again, to every recipient; remind of
        other unclaimed cases once per target interval of their priority (`case_sla_s`)."""
        due = await run_in_session(service.due_for_renotify, self.settings.urgent_renotify_after_s)
        for case in due:
            await self._notify(case, wide=True)
            self.live.publish("case_renotified", case=_summary(case))
        overdue = await run_in_session(service.overdue_reminders_due, self.settings.case_sla_s())
        for case, level in overdue:
            await self._notify(case, wide=False, overdue_level=level)
            self.live.publish("case_renotified", case=_summary(case))
        return [c.id for c in due] + [c.id for c, _ in overdue]

    async def _renotify_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.case_notify_check_s)
            try:
                await self.renotify_due()
            except Exception:
                log.exception("urgent re-notification failed")
            try:
                await self.remind_referrals()
            except Exception:
                log.exception("reminding of pending referrals failed")

    # -- hand-overs between agencies ---------------------------------------------------------
    def referrals_link(self) -> str:
        return f"{self.settings.gateway_url}/dashboard/referrals"

    def referral_changed(self, case_id: int, referral_id: int, state: str) -> None:
        """Live event for the agencies on the case (accepted, declined, withdrawn...)."""
        self.live.publish("referral_updated", case_id=case_id, referral_id=referral_id,
                          state=state)

    async def referred(self, referral_id: int) -> None:
        """A hand-over was made (and committed): live events, and the receiving agency's LINE
        recipients are told in the background (anonymous text: reason, priority, link)."""
        notice = await run_in_session(_referral_notice, referral_id)
        if notice is None:  # a service record: nobody to tell
            return
        self.referral_changed(notice.case_id, notice.referral_id, notice.state)
        self.live.publish("referral_incoming", agency_id=notice.to_agency_id,
                          referral_id=notice.referral_id, reminder=False)
        self._background(self._notify_agency(notice, reminder=False))

    async def remind_referrals(self) -> list[int]:
        """Hand-overs still pending past their due time: the receiving agency is told once
        more (once per referral, also across replicas: `referrals.mark_reminded`)."""
        reminded = []
        for notice in await run_in_session(_due_referral_notices):
            if not await run_in_session(referrals.mark_reminded, notice.referral_id):
                continue
            reminded.append(notice.referral_id)
            self.live.publish("referral_incoming", agency_id=notice.to_agency_id,
                              referral_id=notice.referral_id, reminder=True)
            await self._notify_agency(notice, reminder=True)
        return reminded

    async def _notify_agency(self, notice: ReferralNotice, reminder: bool) -> None:
        """LINE to the recipients of the receiving agency only (not those told of every case:
        a hand-over is addressed to one agency)."""
        key_text = "referral_reminder" if reminder else "referral_new"
        body = catalogue_text("cases", key_text, None, id=notice.referral_id,
                              reason=notice.reason, priority=notice.priority,
                              link=self.referrals_link())
        for recipient in self.recipients:
            if recipient.agency != notice.to_agency_code:
                continue
            key = str(uuid.uuid5(RETRY_NAMESPACE, f"{key_text}:{notice.referral_id}:"
                                                  f"{recipient.user_id}"))
            try:
                await self.messenger.notify(recipient.channel, recipient.user_id,
                                            [text_message(body)], key)
            except Exception as exc:
                log.warning("telling an agency of referral %s failed: %s", notice.referral_id,
                            exc)

    # -- live handoff ------------------------------------------------------------------------
    async def delivery_failed(self, conversation_id: str, language: str, emergency: bool,
                              reason: str, said: str = "") -> None:
        """Gateway hook: LINE refused a message to this person for good. An emergency opens
        (or reuses) an urgent case with the person's words (`said`), which notifies
        caseworkers; an open case gets a system line in its transcript. Nothing for a
        non-emergency without a case."""
        note = catalogue_text("cases", "delivery_failed", None, reason=reason)
        if emergency:
            words = [{"sender": "user", "text": said[:service.MAX_TEXT]}] if said.strip() else []
            case = (await self.escalate(service.NewCase(
                conversation_id, "urgent", "emergency", language, summary=note,
                transcript=words, reason="delivery_failed"))).case
        else:
            case = await run_in_session(service.open_case_for, conversation_id)
            if case is None:
                return
        message = await run_in_session(service.add_message, case.id, "system", note)
        self.live.publish("message", case_id=case.id, message_id=message.id, sender="system")

    def in_handoff(self, session: Session, conversation_id: str) -> bool:
        """The gateway's cheap pre-check (`HandoffHook.in_handoff`): see `in_handoff`."""
        return in_handoff(session, conversation_id)

    async def to_case(self, conversation_id: str, text: str,
                      location: dict[str, Any] | None = None) -> Forwarded | None:
        """The gateway's hand-off hook: `Forwarded` when the conversation is in a live hand-off
        and the message was put into the case transcript (then it must not go to Rasa)."""
        if location and location.get("latitude") is not None:
            text = (f"📍 {location.get('latitude')},{location.get('longitude')} "
                    f"{location.get('address') or ''}").strip()
        emergency = location is None and load_matcher().match(text) is not None
        forwarded = await run_in_session(_forward, conversation_id, text, emergency)
        if forwarded is None:
            return None
        case_id, message_id, chatting, raised = forwarded
        self.live.publish("message", case_id=case_id, message_id=message_id, sender="user")
        if raised is not None:  # an emergency word while waiting: the queue shows it urgent
            self.live.publish("case_updated", case=_summary(raised))
        return Forwarded(case_id, chatting)

    async def deliver(self, conversation_id: str, messages: list[dict[str, Any]]) -> None:
        """Send LINE messages to the user of a conversation through the messenger."""
        try:
            await self.messenger.send(conversation_id, messages, "caseworker")
        except (LookupError, RuntimeError) as exc:  # see UserMessenger.send
            raise RelayError(str(exc)) from exc

    async def reply(self, case_id: int, caseworker_id: int, text: str) -> None:
        conversation_id, message_id = await run_in_session(_record_reply, case_id,
                                                            caseworker_id, text)
        await self.deliver(conversation_id, [text_message(text)])
        self.live.publish("message", case_id=case_id, message_id=message_id, sender="caseworker")

    async def person_language(self, case: Case) -> str:
        """The language the person reads now: the one stored for them (chosen or last written
        in, it may have changed since the case was opened), else the case's."""
        try:
            stored = await self.messenger.language(case.conversation_id)
        except Exception as exc:  # the text still goes out, in the case's language
            log.warning("language of case %s unknown: %s", case.id, type(exc).__name__)
            stored = None
        return stored or case.language

    async def ready_reply(self, case_id: int, caseworker_id: int, key: str) -> str:
        """Send the ready reply `key` (one of READY_REPLIES) in the person's language; returns
        the language used."""
        if key not in READY_REPLIES:
            raise service.CaseError(f"unknown ready reply {key!r}")
        case = await run_in_session(service.get_case, case_id)
        language = await self.person_language(case)
        await self.reply(case_id, caseworker_id, catalogue_text("cases", key, language))
        return language

    async def send_services(self, case_id: int, caseworker_id: int,
                            services: list[dict[str, Any]]) -> None:
        """Send directory services as LINE service cards and note them in the transcript."""
        if not services:
            raise service.CaseError("no service selected")
        case = await run_in_session(service.get_case, case_id)
        language = await self.person_language(case)
        card = service_cards(services, catalogue_text("cases", "services_alt", language))
        await self.deliver(case.conversation_id, [card])
        names = ", ".join(str(s.get("name", "")) for s in services)
        message = await run_in_session(service.add_message, case_id, "caseworker", names,
                                       "services", caseworker_id)
        self.live.publish("message", case_id=case_id, message_id=message.id, sender="caseworker")

    async def end_handoff(self, case_id: int, caseworker_id: int | None) -> None:
        """Give the conversation back to the bot and tell the user."""
        case, was_active = await run_in_session(_ending(service.end_handoff), case_id,
                                                caseworker_id)
        await self._resumed(case, was_active)

    async def close(self, case_id: int, outcome: str, reason: str,
                    caseworker_id: int | None) -> None:
        case, was_active = await run_in_session(_ending(service.close), case_id, outcome,
                                                reason, caseworker_id)
        await self._resumed(case, was_active)

    async def _resumed(self, case: Case, was_active: bool) -> None:
        self.live.publish("case_updated", case=_summary(case))
        if not was_active:
            return
        try:
            ended = catalogue_text("cases", "handoff_ended", await self.person_language(case))
            await self.deliver(case.conversation_id, [text_message(ended)])
        except Exception as exc:
            log.warning("telling the user of case %s that the handoff ended failed: %s",
                        case.id, exc)
