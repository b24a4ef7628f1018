"""Questions: mentions, every message in the server's question channels, and ``/ask``; a reply to an
answer, or a message in a thread Revue started, is a follow-up of the answer's question."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Protocol

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import RevueBot, asker
from bot.conversation import ChannelPace, open_thread, previous_answer, replies_to
from bot.desk import Refused
from bot.errors import user_message
from bot.filters import OUTLET, SINCE, UNTIL, outlet_choices
from bot.limits import Ticket
from bot.render import NO_PINGS, Reply, render_answer
from bot.servers import Rules
from bot.votes import vote_view
from index.errors import RevueError
from index.records import NO_FILTERS, Answer, AnswerRecord, Filters
from index.search.citations import Draft
from index.search.filters import parse_filters

log = logging.getLogger(__name__)

# Seconds between edits of an answer being written: Discord allows about 5 edits per 5 s in a
# channel, shared with every other reply there.
EDIT_EVERY = 1.5
HELP = "Ask me about the coverage, e.g. “Why did OpenAI pause advertising?”"


class Ask(commands.Cog):
    """Answers questions with numbered verbatim quotes from the coverage."""

    def __init__(self, bot: RevueBot) -> None:
        self.bot = bot
        self.desk = bot.desk
        self.answers = bot.answers
        self.pace = ChannelPace()

    async def answer(self, ticket: Ticket, question: str, filters: Filters = NO_FILTERS) -> Draft:
        """The quotes to show first, on one of the desk's workers once the server's turn comes."""
        draft = lambda: self.bot.engine.draft(question, 10, filters)  # noqa: E731
        return await self.desk.run(ticket, draft, stage="draft")

    def will_write(self, answer: Answer) -> bool:
        writer = self.bot.engine.writer is not None and self.desk.can_write()
        return writer and not answer.abstained

    def first_reply(self, draft: Draft) -> Reply:
        """The quotes as first sent: marked while they are read, or while they are written up."""
        if draft.pending:
            return render_answer(draft.answer, reading=True)
        return render_answer(draft.answer, writing="" if self.will_write(draft.answer) else None)

    async def finish(self, shown: Shown) -> None:
        """After the quotes are sent: the reader's decision, then the written answer, by edits."""
        answer = shown.draft.answer
        if shown.draft.pending:
            answer = await self.read_into(shown)
        self.bot.metrics.answered(shown.server, answer)
        if self.will_write(answer):
            answer = await self.write_into(shown.message, answer)
        if self.desk.can_write() and self.bot.engine.will_gloss(answer):
            await self.gloss_into(shown, answer)

    async def gloss_into(self, shown: Shown, answer: Answer) -> None:
        """Edit the answer to show, beside its first quotes in the other language, their checked
        translations; made on the writer's worker (one language model, one queue). The answer
        log keeps the glosses shown."""
        try:
            glossed = await self.desk.write(lambda: self.bot.engine.gloss(answer), stage="gloss")
        except Exception:
            log.exception("glossing an answer failed; the quotes stand")
            return
        if glossed == answer:
            return
        await _edit(shown.message, render_answer(glossed))
        await self.keep(shown, glossed)

    async def keep(self, shown: Shown, answer: Answer) -> None:
        """Keep in the answer log what ``shown`` became (read, glossed): votes and follow-ups
        refer to what the message shows. A failure is logged; the message stands."""
        if shown.record is None:
            return
        record = shown.record
        try:
            await self.answers.run(lambda log: log.revise(record.id, answer))
        except Exception:
            log.exception("could not keep what answer %s became", record.id)

    async def read_into(self, shown: Shown) -> Answer:
        """Edit the cosine's quotes into what the reader decided: the quotes that answer, or a
        decline that says what was searched. The language model reads on the writer's worker
        (one model, one queue); the answer log keeps what the message shows in the end."""
        draft = shown.draft
        try:
            answer = await self.desk.write(lambda: self.bot.engine.read(draft), stage="read")
        except Exception:
            log.exception("reading an answer failed; the quotes stand")
            return draft.answer
        await self.keep(shown, answer)
        writing = "" if self.will_write(answer) else None
        await _edit(shown.message, render_answer(answer, writing=writing))
        return answer

    async def write_into(self, message: Edit, answer: Answer) -> Answer:
        """Edit the sent quotes into the written answer as its checked sentences come in (at
        most one edit every ``EDIT_EVERY`` seconds, within Discord's rate limits)."""
        loop = asyncio.get_running_loop()
        latest: list[str] = []

        def progress(text: str) -> None:
            loop.call_soon_threadsafe(latest.append, text)

        task = asyncio.create_task(self.desk.write(lambda: self.bot.engine.write(answer, progress)))
        shown = ""
        while not task.done():
            await asyncio.wait({task}, timeout=EDIT_EVERY)
            if latest and latest[-1] != shown and not task.done():
                shown = latest[-1]
                await _edit(message, render_answer(answer, writing=shown))
        try:
            final = task.result()
        except Exception:
            log.exception("writing an answer failed; the quotes stand")
            final = answer
        await _edit(message, render_answer(final))
        return final

    def question_in(
        self, message: discord.Message, rules: Rules, follows: bool = False
    ) -> str | None:
        """The question a message asks the bot, or None when it is not addressed to it (a
        follow-up of one of its answers always is; so is every message in the server's question
        channels)."""
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return None
        mentioned = any(u.id == me.id for u in message.mentions)
        if not (mentioned or follows) and message.channel.id not in rules.channels:
            return None
        text = re.sub(rf"<@!?{me.id}>", " ", message.content).strip()
        return text if text or mentioned else None  # an image alone in a channel is no question

    def busy(self, message: discord.Message, rules: Rules) -> bool:
        """Counts the message; whether its channel is busier than the server's rule
        (``/settings busy-threads``, else REVUE_THREAD_WHEN_BUSY)."""
        limit = rules.thread_when_busy
        count = self.pace.count(message.channel.id)
        return 0 < limit < count and not isinstance(message.channel, discord.Thread)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        # The server's settings, from memory (read again from the state after servers.TTL s).
        rules = await self.bot.servers.rules(message.guild.id if message.guild else None)
        busy = self.busy(message, rules)
        me = self.bot.user
        if me is None or message.author.bot:
            return
        previous = await previous_answer(self.answers, message, me.id)
        # A reply to Revue is addressed to it, even to a message that is not an answer.
        follows = previous is not None or replies_to(message, me.id)
        question = self.question_in(message, rules, follows=follows)
        if question is None:
            return
        if not question:
            await message.reply(HELP, allowed_mentions=NO_PINGS)
            return
        server = message.guild.id if message.guild else 0
        self.bot.metrics.asked(server)
        try:
            self.bot.engine.check_question(question)
            ticket = self.desk.admit(asker(message))
        except (RevueError, Refused) as exc:
            self.bot.metrics.ended(server, exc)
            await message.reply(user_message(exc), allowed_mentions=NO_PINGS)
            return
        try:
            with ticket:  # released by reply_to once the engine is done, or here whatever happens
                shown = await self.reply_to(message, ticket, question, previous, busy)
        except Exception as exc:  # the answer could not be sent (reply_to counts the rest)
            self.bot.metrics.ended(server, exc)
            raise
        if shown is not None:
            await self.finish(shown)

    async def reply_to(
        self,
        message: discord.Message,
        ticket: Ticket,
        question: str,
        previous: AnswerRecord | None,
        busy: bool,
    ) -> Shown | None:
        """Answer ``message`` (in a new thread when the channel is busy): what was sent; None
        when the engine refused or failed (the user is told why)."""
        asked = self.bot.engine.standalone(previous.asked, question) if previous else question
        try:
            async with message.channel.typing():
                result = await self.answer(ticket, asked)
        except Exception as exc:
            if isinstance(exc, RevueError):
                log.info("question from %s refused: %s", message.author.id, exc)
            else:
                log.exception("answering message %s failed", message.id)
            self.bot.metrics.ended(ticket.asker.server, exc)
            await message.reply(user_message(exc), allowed_mentions=NO_PINGS)
            return None
        ticket.release()  # the answer is ready: a follow-up sent the moment it shows is welcome
        thread = await open_thread(message, question) if busy and previous is None else None
        record = await self.remember(question, result.answer, previous)
        reply = self.first_reply(result)
        view = vote_view(record.id) if record else discord.utils.MISSING
        send = thread.send if thread is not None else message.reply
        async with self.answers.showing():
            with self.bot.metrics.timed("send"):
                sent = await send(
                    reply.content, embeds=reply.embeds, view=view, allowed_mentions=NO_PINGS
                )
            await self.shown(record, sent)
        return Shown(sent, result, record, ticket.asker.server)

    async def remember(
        self, question: str, answer: Answer, previous: AnswerRecord | None = None
    ) -> AnswerRecord | None:
        """Keep the answer before it is sent (its id goes into the vote buttons); when that
        fails, it is logged and the answer goes out without buttons."""
        previous_id = previous.id if previous else None
        try:
            return await self.answers.run(lambda log: log.record(question, answer, previous_id))
        except Exception:
            log.exception("could not keep the answer to %r; it is sent without votes", question)
            return None

    async def shown(self, record: AnswerRecord | None, sent: discord.Message) -> None:
        """Note which Discord message shows the answer, for replies to it and its thread."""
        if record is None:
            return
        try:
            await self.answers.run(lambda log: log.sent(record.id, sent.channel.id, sent.id))
        except Exception:
            log.exception("could not note the message of answer %s", record.id)

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="What you want to know about the coverage",
        outlet=OUTLET,
        since=SINCE,
        until=UNTIL,
    )
    async def ask(  # noqa: PLR0913 - one parameter per documented option
        self,
        interaction: discord.Interaction,
        question: str,
        outlet: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> None:
        """Ask a question about the news coverage; the answer quotes its sources."""
        server = interaction.guild_id or 0
        with self.bot.metrics.question(server):  # errors go on to the tree's handler
            self.bot.engine.check_question(question)
            filters = parse_filters(outlet, since, until)
            result = await self.bot.deferred(
                interaction, lambda: self.bot.engine.draft(question, 10, filters), stage="draft"
            )
            record = await self.remember(question, result.answer)
            reply = self.first_reply(result)
            async with self.answers.showing():
                with self.bot.metrics.timed("send"):
                    sent = await interaction.followup.send(
                        reply.content,
                        embeds=reply.embeds,
                        view=vote_view(record.id) if record else discord.utils.MISSING,
                        allowed_mentions=NO_PINGS,
                        wait=True,
                    )
                await self.shown(record, sent)
        await self.finish(Shown(sent, result, record, server))

    @ask.autocomplete("outlet")
    async def outlet_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The index's outlets whose names hold what was typed, largest first (25 at most)."""
        return await outlet_choices(self.bot, current)


class Edit(Protocol):
    """A sent message that can be edited (a channel message or an interaction follow-up)."""

    async def edit(self, *, content: str, embeds: list[discord.Embed]) -> object: ...


@dataclass(frozen=True)
class Shown:
    """An answer sent to Discord: the message, the draft it shows, and its log entry."""

    message: Edit
    draft: Draft
    record: AnswerRecord | None
    server: int  # 0: a direct message


async def _edit(message: Edit, reply: Reply) -> None:
    """Edit a sent answer; a failed edit leaves the quotes already sent, and is logged."""
    try:
        await message.edit(content=reply.content, embeds=reply.embeds)
    except discord.HTTPException as exc:
        log.warning("could not edit the answer into its written form: %s", exc)


async def setup(bot: RevueBot) -> None:
    await bot.add_cog(Ask(bot))
