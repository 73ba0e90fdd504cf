"""Process one claimed inbox event: talk to Rasa, map the answer, deliver it, finish the event.

Failures never lose the event: Rasa down → the user gets a fallback (once) with the emergency
numbers and the event is retried with backoff; LINE down → unsent outbox batches are resent
(same retry keys) on the next attempt without asking Rasa again.

Two things happen before the real answer: an emergency message waiting behind another event
of the same person gets the emergency numbers at once (`first_answer`, called by the workers;
the event keeps its place and is answered by Rasa in order), and LINE's loading animation is
shown when Rasa takes longer than `line_loading_after_s` on a 1:1 chat message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from content.catalogue import full_languages, text
from content.keywords import load_matcher
from gateway import inbox, outbox, users
from gateway.channels import Channel
from gateway.delivery import Delivery, Unreachable, settle
from gateway.inbox import Job
from gateway.line_sender import LineRejected, LineSendError
from gateway.ports import Forwarded, HandoffHook
from gateway.rasa_bridge import RasaBridge, RasaUnavailable
from gateway.transactions import persist, run
from saphan.language import SET_LANGUAGE_KEY, guess_language, native_name
from saphan.line_messages import batches, quick_reply, rasa_to_line, text_message
from saphan.settings import Settings

log = logging.getLogger("saphan.gateway.processor")
MEDIA_TYPES = {"sticker", "image", "audio", "video", "file"}
LOCATION_INTENT = "/find_service"
REQUEST_HUMAN_PAYLOAD = "/request_human"
LANGUAGE_POSTBACK_PREFIX = "lang="
#: Languages whose readers get the privacy notice when they write in them without choosing:
#: their phones are often set to Thai, so the welcome's notice came in a language they may not
#: read (a chosen language always gets it: `_set_language`, `_notice_with_answer`).
NOTICE_WHEN_WRITTEN = frozenset({"my", "km", "lo"})
#: Outbox kinds sent before the real answer: the event still goes to Rasa afterwards.
FIRST_ANSWER_KINDS = frozenset({"fallback", "emergency"})


def message_text(payload: dict[str, Any]) -> str:
    """The text of a LINE text-message event ('' for anything else)."""
    message = payload.get("message")
    if not isinstance(message, dict) or message.get("type") != "text":
        return ""
    return str(message.get("text", ""))


def chosen_language(responses: list[dict[str, Any]]) -> str | None:
    """The language the person chose in this turn, if the bot said so (`SET_LANGUAGE_KEY`)."""
    for response in reversed(responses):
        custom = response.get("custom")
        if isinstance(custom, dict) and custom.get(SET_LANGUAGE_KEY) in full_languages("gateway"):
            return str(custom[SET_LANGUAGE_KEY])
    return None


def offered_languages(channel: Channel) -> tuple[str, ...]:
    """Languages offered at the welcome: all five to the public; Thai and English to officers
    (their screening conversation exists in those only)."""
    if channel.audience == "officer":
        return full_languages("screening")
    return full_languages("gateway")


def handoff_ack(forwarded: Forwarded, message: str, language: str) -> str | None:
    """What the bot says about a message forwarded to a caseworker: an emergency always gets
    the emergency numbers; other messages get "a caseworker has your message" until a
    caseworker is chatting (then the caseworker answers, the bot stays quiet)."""
    if load_matcher().match(message):
        return text("gateway", "handoff_emergency", language)
    if forwarded.caseworker_chatting:
        return None
    return text("gateway", "handoff_forwarded", language)


def _take_first_answer(session: Session, job: Job, kind: str,
                       messages: list[dict]) -> list[outbox.Outgoing] | None:
    """Claim the waiting event's first answer and record it in one transaction (None: taken
    already)."""
    if not inbox.take_first_answer(session, job.id):
        return None
    return outbox.record(session, job.id, job.channel, job.line_user_id, kind,
                         batches(messages))


#: Event types whose processing may ask Rasa (and so the hand-off hook first).
_MAY_ASK_RASA = frozenset({"message", "postback"})


@dataclass
class Turn:
    """A claimed event with what its processing starts from, read in the claim's transaction:
    batches recorded for it on earlier attempts, its user (None for an erased event) and
    whether the person was in a live hand-off then (None: not asked; `to_case` decides)."""

    job: Job
    recorded: list[outbox.Outgoing] = field(default_factory=list)
    user: users.User | None = None
    in_handoff: bool | None = None


@dataclass
class Claimed:
    """The outcome of claiming a person's next event: the `turn`, if one was due, and whether
    an unfinished event of theirs is left that could not be claimed now (`waiting`)."""

    turn: Turn | None
    waiting: bool = False


def with_notice(messages: list[dict[str, Any]], notice: list[dict[str, Any]]
                ) -> list[dict[str, Any]]:
    """A reply with the privacy notice before its last message: the reply still opens with
    what the person asked for (an emergency's numbers first) and ends with its quick replies,
    which LINE shows on the last message only."""
    return [*messages[:-1], *notice, *messages[-1:]]


def _welcomed(session: Session, channel: str, line_user_id: str, language: str) -> None:
    """A (re)follow: the person is active and is given the privacy notice in `language`."""
    users.update_user(session, channel, line_user_id, active=True)
    users.give_notice(session, channel, line_user_id, language)


def _dead_letter(session: Session, job: Job, reason: str) -> bool:
    settle(session, job)
    return inbox.dead_letter(session, job.id, reason)


def _reschedule(session: Session, job: Job, error: str, base_s: float, max_s: float,
                max_attempts: int) -> str:
    settle(session, job)
    return inbox.reschedule(session, job.id, job.attempts, error, base_s, max_s, max_attempts)


class EventProcessor:
    def __init__(self, settings: Settings, rasa: RasaBridge, delivery: Delivery,
                 handoff: HandoffHook, place_names: Collection[str] = ()) -> None:
        self.settings = settings
        self.rasa = rasa
        self.delivery = delivery
        self.handoff = handoff
        #: Latin place names that do not make a message English (`guess_language`)
        self.place_names = place_names
        #: the hook's read-only pre-check, if it has one (test doubles may not)
        self._in_handoff = getattr(handoff, "in_handoff", None)

    def claim(self, session: Session, channel: str, line_user_id: str) -> Claimed:
        """Claim the person's next due event (`inbox.claim`) and read what processing it
        starts from, in the caller's transaction."""
        job, waiting = inbox.claim(session, channel, line_user_id, self.settings.inbox_lease_s)
        if job is None:
            return Claimed(None, waiting)
        # batches exist only from an earlier attempt or a first answer (`fallback_sent`)
        first_try = job.attempts == 1 and not job.fallback_sent
        turn = Turn(job, [] if first_try else outbox.for_event(session, job.id))
        if job.event_type != inbox.ERASED:  # an erased person's row must not come back
            turn.user = users.get_or_create(session, channel, line_user_id,
                                            self.settings.pseudonym_key.get_secret_value())
            if self._in_handoff is not None and job.event_type in _MAY_ASK_RASA:
                # read here, so a person not in a hand-off costs no transaction of the hook's
                turn.in_handoff = self._in_handoff(session, turn.user.conversation_id)
        return Claimed(turn)

    def _finish(self, session: Session, job: Job, claim_next: bool) -> Claimed | None:
        """The event's one closing write: what was sent, done, and (`claim_next`) the
        person's next event claimed, all in one transaction."""
        settle(session, job)
        inbox.mark_done(session, job.id)
        return self.claim(session, job.channel, job.line_user_id) if claim_next else None

    async def process(self, turn: Turn, claim_next: bool = False) -> Claimed | None:
        """Process the event and mark it done, or reschedule it. With `claim_next`, the
        transaction that marks it done also claims the person's next event (returned; None
        when the event was rescheduled or dead-lettered). Raises only when the database
        stayed unreachable for `transactions.DB_RETRY_S` (the event is then left to
        `inbox.release_orphans`)."""
        job = turn.job
        try:
            await self._process(turn)
        except LineRejected as exc:
            await self._dead_letter(job, exc)
            return None
        except (RasaUnavailable, LineSendError, Unreachable) as exc:
            await self._retry_later(job, str(exc))
            return None
        except DBAPIError as exc:  # nothing sent was left unrecorded (see `persist`)
            log.warning("event %s: database error (%s); retrying later", job.id,
                        type(exc).__name__)
            await self._retry_later(job, f"database error: {type(exc).__name__}")
            return None
        except Exception as exc:
            log.exception("event %s failed", job.id)
            await self._retry_later(job, f"{type(exc).__name__}: {exc}")
            return None
        return await persist(self._finish, job, claim_next)

    async def _dead_letter(self, job: Job, exc: LineRejected) -> None:
        """LINE refused the answer for good: sending again cannot help and would hold the
        person's later messages (an emergency among them) behind this one. The event is
        dead-lettered, operators see it in the log, and a caseworker is told through the case
        (an emergency gets an urgent case even if the bot's answer never arrived)."""
        if not await persist(_dead_letter, job, str(exc)):
            log.warning("event %s: LINE refused it; it was erased meanwhile", job.id)
            return
        log.warning("event %s dead-lettered: %s", job.id, exc)
        said = message_text(job.payload)
        user = await run(users.get_or_create, job.channel, job.line_user_id,
                         self.settings.pseudonym_key.get_secret_value())
        try:
            await self.handoff.delivery_failed(user.conversation_id, user.language,
                                               bool(said and load_matcher().match(said)),
                                               str(exc), said=said or "")
        except Exception:
            log.exception("event %s: telling a caseworker about the refused message failed",
                          job.id)

    async def _retry_later(self, job: Job, error: str) -> None:
        s = self.settings
        status = await persist(_reschedule, job, error, s.inbox_retry_base_s,
                               s.inbox_retry_max_s, s.inbox_max_attempts)
        log.warning("event %s attempt %s: %s -> %s", job.id, job.attempts, error, status)

    async def _process(self, turn: Turn) -> None:
        job = turn.job
        channel = self.delivery.channel(job.channel)  # `Unreachable` once unconfigured
        sent = turn.recorded
        for item in sent:
            if not item.sent:
                await self.delivery.resend(job, item)
        if any(item.kind in FIRST_ANSWER_KINDS for item in sent) and not job.fallback_sent:
            # recorded on an earlier attempt whose delivery failed; delivered just now
            await persist(inbox.mark_fallback_sent, job.id)
            job.fallback_sent = True
        if any(item.kind not in FIRST_ANSWER_KINDS for item in sent):
            return  # the answer was already produced; it is delivered now
        if job.event_type == inbox.ERASED:
            return  # erased by "delete my data" before it was answered: nothing to answer
        user = turn.user or await run(users.get_or_create, job.channel, job.line_user_id,
                                      self.settings.pseudonym_key.get_secret_value())
        event = job.payload
        kind = job.event_type
        if kind == "follow":
            await self._welcome(job, channel, user)
        elif kind == "unfollow":
            await run(users.update_user, job.channel, job.line_user_id, active=False)
        elif kind == "postback":
            postback = event.get("postback")
            data = str(postback.get("data", "")) if isinstance(postback, dict) else ""
            if data.startswith(LANGUAGE_POSTBACK_PREFIX):
                await self._set_language(job, data[len(LANGUAGE_POSTBACK_PREFIX):])
            elif data:
                await self._ask_rasa(turn, channel, user, data, None)
        elif kind == "message":
            message = event.get("message")
            await self._message(turn, channel, user, message if isinstance(message, dict) else {})

    async def _message(self, turn: Turn, channel: Channel, user: users.User,
                       message: dict[str, Any]) -> None:
        job = turn.job
        mtype = message.get("type")
        if mtype == "text":
            body = str(message.get("text", ""))
            language = guess_language(body, user.language, full_languages("gateway"),
                                      self.place_names)
            if language != user.language:
                await self._keep_language(job, channel, language)
                user = users.User(**{**user.__dict__, "language": language})
            await self._ask_rasa(turn, channel, user, body, None)
        elif mtype == "location":
            location = {k: message.get(k) for k in ("latitude", "longitude", "address")}
            await self._ask_rasa(turn, channel, user, LOCATION_INTENT, location)
        elif mtype in MEDIA_TYPES:
            reply = text_message(text("gateway", "please_type", user.language))
            person = text("gateway", "talk_to_person", user.language)
            reply["quickReply"] = quick_reply([{"title": person, "payload": REQUEST_HUMAN_PAYLOAD}])
            await self.delivery.answer(job, "answer", [reply])

    async def _ask_rasa(self, turn: Turn, channel: Channel, user: users.User, message: str,
                        location: dict[str, Any] | None) -> None:
        job = turn.job
        forwarded = None
        if turn.in_handoff is not False:  # not in a hand-off when claimed: no hook transaction
            forwarded = await self.handoff.to_case(user.conversation_id, message, location)
        if forwarded:  # live handoff: the message went to the case transcript, not to Rasa
            ack = handoff_ack(forwarded, message if location is None else "", user.language)
            if ack:
                await self.delivery.answer(job, "answer", [text_message(ack)])
            return
        metadata = {"channel": channel.name, "audience": channel.audience,
                    "language": user.language, "location": location}
        try:
            async with self._loading_shown(job, channel):
                responses = await self.rasa.send(user.conversation_id, message, metadata)
            chosen = chosen_language(responses)
            if chosen is not None and chosen != user.language:
                await self._keep_language(job, channel, chosen)
            messages = rasa_to_line(responses)
            if not messages and not await self.rasa.action_server_up():
                raise RasaUnavailable("Rasa gave no answer and the action server is down")
        except RasaUnavailable:
            if not job.fallback_sent:
                fallback = [text_message(text("gateway", "fallback", user.language))]
                await self.delivery.answer(job, "fallback", fallback)
                await persist(inbox.mark_fallback_sent, job.id)
            raise
        messages = with_notice(messages, await self._notice_with_answer(job, user, chosen))
        if messages:
            await self.delivery.answer(job, "answer", messages)

    @contextlib.asynccontextmanager
    async def _loading_shown(self, job: Job, channel: Channel) -> AsyncIterator[None]:
        """While Rasa works: LINE's loading animation once it takes `line_loading_after_s`
        (1:1 chats only; LINE cannot show it in groups). It goes when the answer arrives."""
        source = job.payload.get("source")
        if channel.is_simulator or not isinstance(source, dict) or source.get("type") != "user":
            yield
            return

        async def show_later() -> None:
            await asyncio.sleep(self.settings.line_loading_after_s)
            await self.delivery.show_loading(channel, job.line_user_id)
        task = asyncio.create_task(show_later())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def first_answer(self, job: Job) -> bool:
        """Answer an emergency message at once with the emergency numbers when it waits behind
        another event of the same person (e.g. Rasa is slow with the previous one); the event
        keeps its place and Rasa answers it in order. True when it was answered now.
        `job` is a snapshot of the waiting (pending, unclaimed) event."""
        said = message_text(job.payload)
        if not said or not load_matcher().match(said):
            return False
        self.delivery.channel(job.channel)  # `Unreachable` once unconfigured
        user = await run(users.get_or_create, job.channel, job.line_user_id,
                         self.settings.pseudonym_key.get_secret_value())
        language = guess_language(said, user.language, full_languages("gateway"),
                                  self.place_names)
        items = await run(_take_first_answer, job, "emergency",
                          [text_message(text("bot", "emergency", language))])
        if items is None:
            return False  # another worker or replica answered it, or it is being processed
        log.warning("event %s: emergency waiting behind an earlier event answered at once",
                    job.id)
        try:
            for item in items:
                await self.delivery.resend(job, item)
        finally:
            await persist(settle, job)
        return True

    async def _welcome(self, job: Job, channel: Channel, user: users.User) -> None:
        """Welcome in the language of the person's phone (LINE profile) if we speak it, with
        the languages to choose from, each named in its own script."""
        offered = offered_languages(channel)
        language = user.language
        profile_language = await self.delivery.language_of(channel, job.line_user_id)
        if profile_language in offered:
            language = profile_language
        await run(_welcomed, job.channel, job.line_user_id, language)
        await self._keep_language(job, channel, language)
        welcome = text_message(text("gateway", "welcome", language,
                                    retention_months=self.settings.retention_closed_case_months))
        welcome["quickReply"] = quick_reply([
            {"title": native_name(code), "payload": f"{LANGUAGE_POSTBACK_PREFIX}{code}"}
            for code in offered
        ])
        await self.delivery.answer(job, "answer", [welcome])

    async def _keep_language(self, job: Job, channel: Channel, language: str) -> None:
        """Store the person's language (every later message of every part uses it) and give
        them the rich menu in it."""
        await run(users.update_user, job.channel, job.line_user_id, language=language)
        await self.delivery.show_menu_in(channel, job.line_user_id, language)

    async def _set_language(self, job: Job, language: str) -> None:
        """A language button: store the choice and confirm it, with the privacy notice in it
        unless the person had it in that language (the welcome came in their phone's)."""
        if language not in full_languages("gateway"):
            return
        await self._keep_language(job, self.delivery.channel(job.channel), language)
        done = text_message(text("gateway", "language_set", language))
        notice = await self._notice(job, language)
        await self.delivery.answer(job, "answer", with_notice([done], notice))

    async def _notice(self, job: Job, language: str) -> list[dict[str, Any]]:
        """The privacy notice in `language` if the person has not had it in that language
        (noted for them here: once per language), else nothing (`with_notice` places it)."""
        if not await run(users.give_notice, job.channel, job.line_user_id, language):
            return []
        return [text_message(text("gateway", "privacy_notice", language,
                                  retention_months=self.settings.retention_closed_case_months))]

    async def _notice_with_answer(self, job: Job, user: users.User,
                                  chosen: str | None) -> list[dict[str, Any]]:
        """With Rasa's answer, the privacy notice in a language the person chose in words
        (`chosen`) or wrote in (`NOTICE_WHEN_WRITTEN`), once per language; the claimed
        snapshot is checked first, so most messages cost no transaction."""
        language = chosen or user.language
        if language in user.notice_languages or (chosen is None
                                                  and language not in NOTICE_WHEN_WRITTEN):
            return []
        return await self._notice(job, language)
