"""Delivery: the one place that sends messages to LINE users (bot answers and caseworker
messages alike) and to caseworkers' LINE accounts.

Every batch to a user is first recorded in the outbox with its retry key, then sent: with the
event's reply token while it is fresh and unused, else by push (the retry key makes a resend
safe); the simulator's channels only record. The write that records a send is retried through
a database outage (`transactions.persist`) so that a sent message is never sent again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway import inbox, outbox, users
from gateway.channels import Channel
from gateway.inbox import Job
from gateway.line_sender import LineSender
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


class Delivery:
    def __init__(self, settings: Settings, channels: dict[str, Channel],
                 sender: LineSender) -> None:
        self.settings = settings
        self.channels = channels
        self.sender = sender

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
        else push with the batch's retry key."""
        channel = self.channel(job.channel)
        if channel.is_simulator:
            await persist(_record_sent, item.id, "simulator", None)
            return
        age = (utcnow() - job.received_at).total_seconds()
        tried_reply = None
        if job.reply_token and not job.reply_token_used \
                and age < self.settings.line_reply_token_ttl_s:
            job.reply_token_used, tried_reply = True, job.id  # a token works once, even if refused
            if await self.sender.reply(channel, job.reply_token, item.messages):
                await persist(_record_sent, item.id, "reply", tried_reply)
                return
        await self.sender.push(channel, job.line_user_id, item.messages, item.retry_key)
        await persist(_record_sent, item.id, "push", tried_reply)

    # -- messages outside a turn (a caseworker's, the end of a hand-off) -------------------------
    async def send(self, conversation_id: str, messages: list[dict], kind: str) -> None:
        """Record and push `messages` to the user of `conversation_id` (simulator: record only).
        Raises `Unreachable`, or `LineSendError` when LINE refused after retries (the batch
        then stays unsent in the outbox)."""
        account = await run(users.account_of, conversation_id)
        if account is None:
            raise Unreachable("no LINE user has this conversation id")
        channel_name, line_user_id = account
        channel = self.channel(channel_name)
        items = await run(outbox.record, None, channel_name, line_user_id, kind,
                          batches(messages))
        for item in items:
            if not channel.is_simulator:
                await self.sender.push(channel, line_user_id, item.messages, item.retry_key)
            await persist(_record_sent, item.id,
                          "simulator" if channel.is_simulator else "push", None)

    async def notify(self, channel_name: str, line_user_id: str, messages: list[dict],
                     retry_key: str) -> None:
        """Push to a caseworker's LINE account (not a user: nothing is recorded)."""
        channel = self.channel(channel_name)
        if channel.is_simulator:
            raise Unreachable("caseworkers cannot be notified on a simulator channel")
        await self.sender.push(channel, line_user_id, messages, retry_key)

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
