"""Process one claimed inbox event: talk to Rasa, map the answer, deliver it, finish the event.

Failures never lose the event: Rasa down → the user gets a fallback (once) with the emergency
numbers and the event is retried with backoff; LINE down → unsent outbox batches are resent
(same retry keys) on the next attempt without asking Rasa again.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import DBAPIError

from cases import runtime as case_runtime
from content.keywords import load_matcher
from gateway import inbox, outbox, users
from gateway.channels import Channel
from gateway.inbox import Job
from gateway.line_messages import batches, quick_reply, rasa_to_line, text_message
from gateway.line_sender import LineSender, LineSendError
from gateway.rasa_bridge import RasaBridge, RasaUnavailable
from gateway.texts import (
    LANGUAGE_POSTBACK_PREFIX,
    LANGUAGES,
    REQUEST_HUMAN_PAYLOAD,
    language_names,
    text,
)
from saphan.settings import Settings

log = logging.getLogger("saphan.gateway.processor")
MEDIA_TYPES = {"sticker", "image", "audio", "video", "file"}
LOCATION_INTENT = "/find_service"
THAI = re.compile(r"[\u0E00-\u0E7F]")
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
DB_RETRY_S = 600.0  # how long a worker keeps retrying a write through a database outage


def guess_language(message: str, current: str) -> str:
    """Thai script → th; Latin words without Thai → en; otherwise keep the current language."""
    if THAI.search(message):
        return "th"
    if LATIN_WORD.search(message):
        return "en"
    return current


def handoff_ack(forwarded: case_runtime.Forwarded, message: str, language: str) -> str | None:
    """What the bot says about a message forwarded to a caseworker: an emergency always gets
    the emergency numbers; other messages get "a caseworker has your message" until a
    caseworker is chatting (then the caseworker answers, the bot stays quiet)."""
    if load_matcher().match(message):
        return text("handoff_emergency", language)
    if forwarded.caseworker_chatting:
        return None
    return text("handoff_forwarded", language)


class EventProcessor:
    def __init__(self, settings: Settings, channels: dict[str, Channel],
                 rasa: RasaBridge, sender: LineSender) -> None:
        self.settings = settings
        self.channels = channels
        self.rasa = rasa
        self.sender = sender

    async def process(self, job: Job) -> None:
        """Process `job` and mark it done, or reschedule it. Raises only when the database
        stayed unreachable for `DB_RETRY_S` (the event is then left to `release_orphans`)."""
        try:
            await self._process(job)
        except (RasaUnavailable, LineSendError) as exc:
            await self._retry_later(job, str(exc))
            return
        except DBAPIError as exc:  # nothing sent was left unrecorded (see `_persist`)
            log.warning("event %s: database error (%s); retrying later", job.id,
                        type(exc).__name__)
            await self._retry_later(job, f"database error: {type(exc).__name__}")
            return
        except Exception as exc:
            log.exception("event %s failed", job.id)
            await self._retry_later(job, f"{type(exc).__name__}: {exc}")
            return
        await self._persist(inbox.mark_done, job.id)

    async def _persist(self, write: Callable[..., Any], *args: Any) -> Any:
        """Run a database write that records something already done (a message sent, an
        event finished, a retry scheduled), retrying through a database outage: this worker
        still holds the event, and forgetting the write would send a message twice."""
        deadline = time.monotonic() + DB_RETRY_S
        delay = 0.2
        while True:
            try:
                return await asyncio.to_thread(write, *args)
            except DBAPIError as exc:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("database unavailable (%s); retrying %s in %.1fs",
                            type(exc).__name__, getattr(write, "__name__", "write"), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _retry_later(self, job: Job, error: str) -> None:
        s = self.settings
        status = await self._persist(inbox.reschedule, job.id, job.attempts, error,
                                     s.inbox_retry_base_s, s.inbox_retry_max_s,
                                     s.inbox_max_attempts)
        log.warning("event %s attempt %s: %s -> %s", job.id, job.attempts, error, status)

    async def _process(self, job: Job) -> None:
        channel = self.channels.get(job.channel)
        if channel is None:
            raise LineSendError(f"channel {job.channel!r} is no longer configured")
        sent = await asyncio.to_thread(outbox.for_event, job.id)
        for item in sent:
            if not item.sent:
                await self._send(job, channel, item)
        if any(item.kind == "fallback" for item in sent) and not job.fallback_sent:
            # recorded on an earlier attempt whose delivery failed; delivered just now
            await self._persist(inbox.mark_fallback_sent, job.id)
            job.fallback_sent = True
        if any(item.kind != "fallback" for item in sent):
            return  # the answer was already produced; it is delivered now
        user = await asyncio.to_thread(users.get_or_create, job.channel, job.line_user_id,
                                       self.settings.secret_key.get_secret_value())
        event = job.payload
        kind = job.event_type
        if kind == "follow":
            await self._welcome(job, channel, user)
        elif kind == "unfollow":
            await asyncio.to_thread(users.update_user, job.channel, job.line_user_id,
                                    active=False)
        elif kind == "postback":
            postback = event.get("postback")
            data = str(postback.get("data", "")) if isinstance(postback, dict) else ""
            if data.startswith(LANGUAGE_POSTBACK_PREFIX):
                await self._set_language(job, channel, data[len(LANGUAGE_POSTBACK_PREFIX):])
            elif data:
                await self._ask_rasa(job, channel, user, data, None)
        elif kind == "message":
            message = event.get("message")
            await self._message(job, channel, user, message if isinstance(message, dict) else {})

    async def _message(self, job: Job, channel: Channel, user: users.User,
                       message: dict[str, Any]) -> None:
        mtype = message.get("type")
        if mtype == "text":
            body = str(message.get("text", ""))
            language = guess_language(body, user.language)
            if language != user.language:
                await asyncio.to_thread(users.update_user, job.channel, job.line_user_id,
                                        language=language)
                user = users.User(**{**user.__dict__, "language": language})
            await self._ask_rasa(job, channel, user, body, None)
        elif mtype == "location":
            location = {k: message.get(k) for k in ("latitude", "longitude", "address")}
            await self._ask_rasa(job, channel, user, LOCATION_INTENT, location)
        elif mtype in MEDIA_TYPES:
            reply = text_message(text("please_type", user.language))
            reply["quickReply"] = quick_reply([{"title": text("talk_to_person", user.language),
                                                "payload": REQUEST_HUMAN_PAYLOAD}])
            await self._deliver(job, channel, "answer", [reply])

    async def _ask_rasa(self, job: Job, channel: Channel, user: users.User, message: str,
                        location: dict[str, Any] | None) -> None:
        forwarded = await case_runtime.to_case(user.conversation_id, message, location)
        if forwarded:  # live handoff: the message went to the case transcript, not to Rasa
            ack = handoff_ack(forwarded, message if location is None else "", user.language)
            if ack:
                await self._deliver(job, channel, "answer", [text_message(ack)])
            return
        metadata = {"channel": channel.name, "audience": channel.audience,
                    "language": user.language, "location": location}
        try:
            responses = await self.rasa.send(user.conversation_id, message, metadata)
            messages = rasa_to_line(responses)
            if not messages and not await self.rasa.action_server_up():
                raise RasaUnavailable("Rasa gave no answer and the action server is down")
        except RasaUnavailable:
            if not job.fallback_sent:
                fallback = [text_message(text("fallback", user.language))]
                await self._deliver(job, channel, "fallback", fallback)
                await self._persist(inbox.mark_fallback_sent, job.id)
            raise
        if messages:
            await self._deliver(job, channel, "answer", messages)

    async def _welcome(self, job: Job, channel: Channel, user: users.User) -> None:
        language = user.language
        if not channel.is_simulator:
            profile_language = await self.sender.language_of(channel, job.line_user_id)
            if profile_language in LANGUAGES:
                language = profile_language
        await asyncio.to_thread(users.update_user, job.channel, job.line_user_id,
                                active=True, language=language)
        welcome = text_message(text("welcome", language))
        welcome["quickReply"] = quick_reply([
            {"title": name, "payload": f"{LANGUAGE_POSTBACK_PREFIX}{code}"}
            for code, name in language_names().items()
        ])
        await self._deliver(job, channel, "answer", [welcome])

    async def _set_language(self, job: Job, channel: Channel, language: str) -> None:
        if language not in LANGUAGES:
            return
        await asyncio.to_thread(users.update_user, job.channel, job.line_user_id,
                                language=language)
        await self._deliver(job, channel, "answer", [text_message(text("language_set", language))])

    async def _deliver(self, job: Job, channel: Channel, kind: str,
                       messages: list[dict]) -> None:
        items = await asyncio.to_thread(outbox.record, job.id, job.channel, job.line_user_id,
                                        kind, batches(messages))
        for item in items:
            await self._send(job, channel, item)

    async def _send(self, job: Job, channel: Channel, item: outbox.Outgoing) -> None:
        """Reply while the token is fresh and unused, else push (with the batch's retry key)."""
        if channel.is_simulator:
            await self._persist(outbox.mark_sent, item.id, "simulator")
            return
        age = (inbox.utcnow() - job.received_at).total_seconds()
        tried_reply = None
        if job.reply_token and not job.reply_token_used \
                and age < self.settings.line_reply_token_ttl_s:
            job.reply_token_used, tried_reply = True, job.id  # a token works once, even if refused
            if await self.sender.reply(channel, job.reply_token, item.messages):
                await self._persist(outbox.mark_sent, item.id, "reply", tried_reply)
                return
        await self.sender.push(channel, job.line_user_id, item.messages, item.retry_key)
        await self._persist(outbox.mark_sent, item.id, "push", tried_reply)
