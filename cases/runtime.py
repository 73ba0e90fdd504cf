"""The case side of the gateway process: escalation (pause Rasa, notify caseworkers), the live
handoff relay (user <-> caseworker over LINE or the simulator) and urgent re-notification.

One `CaseRuntime` per gateway process, started by the dashboard router's lifespan; the gateway
calls `to_case()` before sending a user's message to Rasa.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from cases import service
from cases.live import Broker, broker
from cases.models import Case
from cases.rasa_control import set_paused
from cases.recipients import Recipient, load_recipients
from cases.texts import caseworker_text, user_text
from gateway import outbox
from gateway.channels import Channel, load_channels
from gateway.line_messages import batches, service_cards, text_message
from gateway.line_sender import LineSender
from gateway.models import LineUser
from saphan.db import session_scope
from saphan.settings import Settings

log = logging.getLogger("saphan.cases")
PAUSE_ATTEMPTS = 20  # Rasa holds the conversation lock while the escalating action runs
#: A caseworker who wrote in the case this recently is chatting live with the user: the bot
#: then stays quiet about forwarded messages (except emergencies).
LIVE_CHAT_WINDOW = timedelta(minutes=15)
RETRY_NAMESPACE = uuid.UUID("6f1c1f57-43a5-4f0e-9f43-3c1a7e0b9d11")


@dataclass(frozen=True)
class Forwarded:
    """A user message put into a case transcript during a live handoff."""

    case_id: int
    caseworker_chatting: bool  # a caseworker wrote in the case within LIVE_CHAT_WINDOW


class RelayError(RuntimeError):
    """The user of a case cannot be reached (unknown conversation or channel)."""


def _target(conversation_id: str) -> tuple[str, str]:
    with session_scope() as session:
        row = session.execute(select(LineUser.channel, LineUser.line_user_id)
                              .where(LineUser.conversation_id == conversation_id)).first()
    if row is None:
        raise RelayError("no LINE user has this conversation id")
    return row[0], row[1]


def _summary(case: Case) -> dict[str, Any]:
    return {"id": case.id, "priority": case.priority, "source": case.source,
            "status": case.status, "language": case.language, "province": case.province or "",
            "claimed": case.assignee_id is not None}


class CaseRuntime:
    def __init__(self, settings: Settings, live: Broker = broker) -> None:
        self.settings = settings
        self.live = live
        self.channels: dict[str, Channel] = load_channels(settings)
        self.recipients: list[Recipient] = load_recipients(settings)
        self.sender = LineSender(settings)
        self.http = httpx.AsyncClient(timeout=settings.rasa_timeout_s)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._renotify: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._renotify = asyncio.create_task(self._renotify_loop())

    async def stop(self) -> None:
        if self._renotify:
            self._renotify.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, *(t for t in [self._renotify] if t),
                             return_exceptions=True)
        await self.http.aclose()
        await self.sender.aclose()

    def _background(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def link(self, case_id: int) -> str:
        return f"{self.settings.gateway_url}/dashboard/cases/{case_id}"

    # -- escalation ----------------------------------------------------------------------------
    async def escalate(self, new: service.NewCase) -> service.Created:
        """Store the case; in the background pause Rasa and notify caseworkers."""
        created = await asyncio.to_thread(service.create_case, new)
        case = created.case
        self._background(self._pause(case.conversation_id, True))
        if created.created:
            self._background(self._notify(case, wide=False))
            self.live.publish("case_created", case=_summary(case))
        else:
            self.live.publish("case_updated", case=_summary(case))
        return created

    async def _pause(self, conversation_id: str, paused: bool) -> bool:
        delay = 0.2
        for _ in range(PAUSE_ATTEMPTS):
            if await set_paused(self.http, self.settings.rasa_url, conversation_id, paused):
                return True
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        return False

    async def _notify(self, case: Case, wide: bool) -> None:
        level = service.WIDE if wide else 1
        if not await asyncio.to_thread(service.mark_notified, case.id, level):
            return
        if wide:
            minutes = round(self.settings.urgent_renotify_after_s / 60, 1)
            body = caseworker_text("renotify", id=case.id, minutes=minutes, link=self.link(case.id))
        else:
            province = f", {case.province}" if case.province else ""
            body = caseworker_text("new_case", id=case.id, priority=case.priority,
                                   source=case.source, language=case.language,
                                   province=province, summary=case.summary[:300] or "-",
                                   link=self.link(case.id))
        for recipient in self.recipients:
            if recipient.wide_only and not wide:
                continue
            channel = self.channels.get(recipient.channel)
            if channel is None or channel.is_simulator:
                log.warning("caseworker recipient on unknown channel %r", recipient.channel)
                continue
            key = str(uuid.uuid5(RETRY_NAMESPACE, f"{case.id}:{level}:{recipient.user_id}"))
            try:
                await self.sender.push(channel, recipient.user_id, [text_message(body)], key)
            except Exception as exc:
                log.warning("notifying a caseworker of case %s failed: %s", case.id, exc)

    async def renotify_due(self) -> list[int]:
        """Notify urgent cases unclaimed for too long again, to every recipient."""
        due = await asyncio.to_thread(service.due_for_renotify,
                                      self.settings.urgent_renotify_after_s)
        for case in due:
            await self._notify(case, wide=True)
            self.live.publish("case_renotified", case=_summary(case))
        return [c.id for c in due]

    async def _renotify_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.case_notify_check_s)
            try:
                await self.renotify_due()
            except Exception:
                log.exception("urgent re-notification failed")

    # -- live handoff ------------------------------------------------------------------------
    async def to_case(self, conversation_id: str, text: str,
                      location: dict[str, Any] | None = None) -> Forwarded | None:
        """Gateway hook: `Forwarded` when the conversation is in a live handoff and the message
        was put into the case transcript (then it must not go to Rasa), else None."""
        case = await asyncio.to_thread(service.handoff_case_for, conversation_id)
        if case is None:
            return None
        if location and location.get("latitude") is not None:
            text = (f"📍 {location.get('latitude')},{location.get('longitude')} "
                    f"{location.get('address') or ''}").strip()
        message = await asyncio.to_thread(service.add_message, case.id, "user", text[:5000])
        self.live.publish("message", case_id=case.id, message_id=message.id, sender="user")
        chatting = await asyncio.to_thread(service.caseworker_wrote_since, case.id,
                                           service.utcnow() - LIVE_CHAT_WINDOW)
        return Forwarded(case.id, chatting)

    async def deliver(self, conversation_id: str, messages: list[dict]) -> None:
        """Send LINE messages to the user of a conversation (push; simulator: outbox only)."""
        channel_name, line_user_id = await asyncio.to_thread(_target, conversation_id)
        channel = self.channels.get(channel_name)
        if channel is None:
            raise RelayError(f"channel {channel_name!r} is not configured")
        items = await asyncio.to_thread(outbox.record, None, channel_name, line_user_id,
                                        "caseworker", batches(messages))
        for item in items:
            if not channel.is_simulator:
                await self.sender.push(channel, line_user_id, item.messages, item.retry_key)
            await asyncio.to_thread(outbox.mark_sent, item.id,
                                    "simulator" if channel.is_simulator else "push")

    async def reply(self, case_id: int, caseworker_id: int, text: str) -> None:
        case = await asyncio.to_thread(service.get_case, case_id)
        if case.status in ("Closed", "ClosedReferred"):
            raise service.CaseError("case is closed")
        message = await asyncio.to_thread(service.add_message, case_id, "caseworker", text,
                                          "text", caseworker_id)
        await self.deliver(case.conversation_id, [text_message(text)])
        self.live.publish("message", case_id=case_id, message_id=message.id, sender="caseworker")

    async def send_services(self, case_id: int, caseworker_id: int,
                            services: list[dict[str, Any]]) -> None:
        """Send directory services as LINE service cards and note them in the transcript."""
        if not services:
            raise service.CaseError("no service selected")
        case = await asyncio.to_thread(service.get_case, case_id)
        card = service_cards(services, user_text("services_alt", case.language))
        await self.deliver(case.conversation_id, [card])
        names = ", ".join(str(s.get("name", "")) for s in services)
        message = await asyncio.to_thread(service.add_message, case_id, "caseworker", names,
                                          "services", caseworker_id)
        self.live.publish("message", case_id=case_id, message_id=message.id, sender="caseworker")

    async def end_handoff(self, case_id: int, caseworker_id: int | None) -> None:
        """Resume the bot for the conversation and tell the user."""
        before = await asyncio.to_thread(service.get_case, case_id)
        case = await asyncio.to_thread(service.end_handoff, case_id, caseworker_id)
        await self._resumed(case, was_active=before.handoff_active)

    async def close(self, case_id: int, outcome: str, reason: str,
                    caseworker_id: int | None) -> None:
        before = await asyncio.to_thread(service.get_case, case_id)
        case = await asyncio.to_thread(service.close, case_id, outcome, reason, caseworker_id)
        await self._resumed(case, was_active=before.handoff_active)

    async def _resumed(self, case: Case, was_active: bool) -> None:
        self.live.publish("case_updated", case=_summary(case))
        if not was_active:
            return
        await self._pause(case.conversation_id, False)
        try:
            await self.deliver(case.conversation_id,
                               [text_message(user_text("handoff_ended", case.language))])
        except Exception as exc:
            log.warning("telling the user of case %s that the handoff ended failed: %s",
                        case.id, exc)


_current: CaseRuntime | None = None


def current() -> CaseRuntime | None:
    """The runtime of this gateway process (None outside the gateway)."""
    return _current


def set_current(runtime: CaseRuntime | None) -> None:
    global _current
    _current = runtime


async def to_case(conversation_id: str, text: str,
                  location: dict[str, Any] | None = None) -> Forwarded | None:
    """The gateway's handoff hook (see `CaseRuntime.to_case`)."""
    runtime = current()
    return await runtime.to_case(conversation_id, text, location) if runtime else None
