"""Delivery: the one place that sends messages to LINE users (bot answers and caseworker
messages alike) and to caseworkers' LINE accounts.

Every batch to a user is first recorded in the outbox with its retry key, then sent: with the
event's reply token while it is fresh and unused, else by push (the retry key makes a resend
safe); the simulator's channels only record. A caseworker's message uses the reply token of the
person's last finished message when it is still fresh and unused (replies are free, pushes
count against LINE's monthly quota). When that quota is used up, pushes are held
(`gateway.push_hold`): the batch is kept and pushed when the quota resets, replies still go.
The write that records a send is retried through a database outage (`transactions.persist`)
so that a sent message is never sent again.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from gateway import inbox, outbox, users
from gateway.channels import Channel
from gateway.inbox import Job
from gateway.line_sender import LineSender, QuotaExhausted
from gateway.push_hold import PushHold
from gateway.rich_menu import menu_name
from gateway.transactions import persist, run
from saphan.db import utcnow
from saphan.line_messages import batches
from saphan.settings import Settings


class Unreachable(LookupError):
    """No LINE user has this conversation id, or their channel is not configured."""


def _record_sent(session: Session, outbox_id: int, method: str,
                 used_reply_token_of: int | None) -> None:
    outbox.mark_sent(session, outbox_id, method)
    if used_reply_token_of is not None:
        inbox.mark_reply_token_used(session, used_reply_token_of)


def settle(session: Session, job: Job) -> None:
    """Write what was sent for `job` in this attempt and not yet recorded (its batches, its
    reply token spent). Runs in the transaction that records the event's outcome (done,
    rescheduled, dead-lettered), so an answer costs one write after sending, not one per batch;
    that transaction is retried through a database outage (`transactions.persist`)."""
    for outbox_id, method in job.sent_unrecorded:
        outbox.mark_sent(session, outbox_id, method)
    if job.reply_token_spent:
        inbox.mark_reply_token_used(session, job.id)


def _record_held(session: Session, outbox_id: int, used_reply_token_of: int | None) -> None:
    outbox.mark_held(session, outbox_id)
    if used_reply_token_of is not None:
        inbox.mark_reply_token_used(session, used_reply_token_of)


class Delivery:
    def __init__(self, settings: Settings, channels: dict[str, Channel], sender: LineSender,
                 on_hold_change: Callable[[str, bool], None] | None = None) -> None:
        self.settings = settings
        self.channels = channels
        self.sender = sender
        self.hold = PushHold(settings, channels.values(), sender, on_hold_change)

    async def _push(self, channel: Channel, line_user_id: str, item: outbox.Outgoing,
                    used_reply_token_of: int | None, job: Job | None = None) -> str:
        """Push a recorded batch and record how it went: "push" (noted on `job` for `settle`
        when given), or "held" when the channel's monthly quota is used up (kept for later,
        see `gateway.push_hold`)."""
        if not self.hold.held(channel.name):
            try:
                await self.sender.push(channel, line_user_id, item.messages, item.retry_key)
            except QuotaExhausted:
                self.hold.hold(channel.name)
            else:
                if job is not None:
                    job.sent_unrecorded.append((item.id, "push"))
                else:
                    await persist(_record_sent, item.id, "push", used_reply_token_of)
                return "push"
        await persist(_record_held, item.id, used_reply_token_of)
        return "held"

    def channel(self, name: str) -> Channel:
        channel = self.channels.get(name)
        if channel is None:
            raise Unreachable(f"channel {name!r} is not configured")
        return channel

    # -- answers to an inbox event ---------------------------------------------------------------
    async def answer(self, job: Job, kind: str, messages: list[dict]) -> None:
        """Record `messages` as (part of) the answer to `job`, then send them."""
        items = await run(outbox.record, job.id, job.channel, job.line_user_id, kind,
                          batches(messages))
        for item in items:
            await self.resend(job, item)

    async def resend(self, job: Job, item: outbox.Outgoing) -> None:
        """Send a recorded batch of `job`'s answer: reply while the token is fresh and unused,
        else push with the batch's retry key (kept for later while the channel's monthly
        quota is used up). A sent batch is noted on `job` (`sent_unrecorded`): the caller
        writes it with `settle` in the transaction that records the event's outcome."""
        channel = self.channel(job.channel)
        if channel.is_simulator:
            job.sent_unrecorded.append((item.id, "simulator"))
            return
        age = (utcnow() - job.received_at).total_seconds()
        tried_reply = None
        if job.reply_token and not job.reply_token_used \
                and age < self.settings.line_reply_token_ttl_s:
            job.reply_token_used, tried_reply = True, job.id  # a token works once, even if refused
            job.reply_token_spent = True
            if await self.sender.reply(channel, job.reply_token, item.messages):
                job.sent_unrecorded.append((item.id, "reply"))
                return
        await self._push(channel, job.line_user_id, item, tried_reply, job)

    # -- messages outside a turn (a caseworker's, the end of a hand-off) -------------------------
    async def send(self, conversation_id: str, messages: list[dict], kind: str) -> None:
        """Record and send `messages` to the user of `conversation_id` (simulator: record
        only): the first batch with the reply token of the person's last finished message
        while it is fresh and unused, the rest (or all) by push; a push waiting for LINE's
        monthly quota is kept and sent later. Raises `Unreachable`, or `LineSendError` when
        LINE refused after retries (the batch then stays unsent in the outbox)."""
        account = await run(users.account_of, conversation_id)
        if account is None:
            raise Unreachable("no LINE user has this conversation id")
        channel_name, line_user_id = account
        channel = self.channel(channel_name)
        items = await run(outbox.record, None, channel_name, line_user_id, kind,
                          batches(messages))
        if channel.is_simulator:
            for item in items:
                await persist(_record_sent, item.id, "simulator", None)
            return
        token = await run(inbox.take_reply_token, channel_name, line_user_id,
                          self.settings.line_reply_token_ttl_s)
        for item in items:
            if token is not None:
                reply_token, token = token, None  # a token works once, even if refused
                if await self.sender.reply(channel, reply_token, item.messages):
                    await persist(_record_sent, item.id, "reply", None)
                    continue
            await self._push(channel, line_user_id, item, None)

    async def notify(self, channel_name: str, line_user_id: str, messages: list[dict],
                     retry_key: str) -> None:
        """Push to a caseworker's LINE account (not a user: nothing is recorded). Raises
        `QuotaExhausted` while the channel's monthly quota is used up (the caller's retry
        policy applies; the case itself is on the dashboard)."""
        channel = self.channel(channel_name)
        if channel.is_simulator:
            raise Unreachable("caseworkers cannot be notified on a simulator channel")
        if self.hold.held(channel_name):
            raise QuotaExhausted("LINE's monthly message limit is reached")
        try:
            await self.sender.push(channel, line_user_id, messages, retry_key)
        except QuotaExhausted:
            self.hold.hold(channel_name)
            raise

    async def show_loading(self, channel: Channel, line_user_id: str) -> None:
        """LINE's loading animation in the person's chat while the answer is prepared."""
        if not channel.is_simulator:
            await self.sender.show_loading(channel, line_user_id, self.settings.line_loading_s)

    async def show_menu_in(self, channel: Channel, line_user_id: str, language: str) -> None:
        """Give the user the rich menu labelled in `language` when `saphan line setup` made
        one (LINE only; a failure leaves the channel's default menu)."""
        if not channel.is_simulator:
            await self.sender.link_rich_menu(channel, line_user_id,
                                             menu_name(channel.audience, language))

    async def language(self, conversation_id: str) -> str | None:
        """The language stored for the person of a conversation (None: unknown)."""
        return await run(users.language_of, conversation_id)

    async def language_of(self, channel: Channel, line_user_id: str) -> str | None:
        """The user's LINE language from their profile (None for the simulator/unknown)."""
        if channel.is_simulator:
            return None
        return await self.sender.language_of(channel, line_user_id)

    async def aclose(self) -> None:
        await self.sender.aclose()
