"""Answers and source lists as Discord messages that always fit Discord's limits.

Limits: 2,000 characters of content, 10 embeds per message, 6,000 characters across a message's
embeds, 4,096 for an embed description, 256 for titles and field names, 1,024 for field values,
25 fields per embed. Quotes are trimmed with an ellipsis to fit; a citation is never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import discord
from discord.utils import escape_markdown, escape_mentions

from index.coverage.firsts import as_of_line, first_line
from index.records import Answer, ArticleInfo, Citation, Copy
from index.writing.gloss import LABEL

CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL = 6000
DESCRIPTION_LIMIT = 4096
TITLE_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
MIN_QUOTE = 150  # characters of a quote that its field always keeps
FIELDS_PER_EMBED = 25
URL_LIMIT = 512  # longer links are shown as plain titles (the citation stays)
ELLIPSIS = "…"
COLOUR = discord.Colour.blurple()
SOURCES_TITLE = "Sources"
NO_PINGS = discord.AllowedMentions.none()  # no @everyone, @here, roles, users or reply pings


@dataclass
class Reply:
    """What to send: message content and embeds (none for a decline)."""

    content: str
    embeds: list[discord.Embed] = field(default_factory=list)


def trim(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, at a word boundary where one is near, with "…"."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space > len(cut) * 0.8:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def embed_size(embed: discord.Embed) -> int:
    """Characters Discord counts towards the 6,000 per message."""
    return len(embed)


def linked(title: str, url: str | None) -> str:
    """A masked link to ``url`` when it is a usable web address, else the title in bold."""
    if not url or len(url) > URL_LIMIT or not url.startswith(("http://", "https://")):
        return f"**{title}**"
    safe = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"[{title}]({safe})"


def _field_name(c: Citation) -> str:
    return trim(escape_markdown(f"[{c.n}] {c.byline or c.article_id}"), TITLE_LIMIT)


def _also_in(copies: tuple[Copy, ...]) -> str:
    names = ", ".join(dict.fromkeys(c.source or c.article_id for c in copies))
    return trim(escape_markdown(f"also in: {names}"), 200)


def _title_line(c: Citation, full: bool = True) -> str:
    """The title (linked), then, when ``full``, the first report and the other outlets; not
    full: the bare title in bold, for a field that would not hold the rest with its quote."""
    title = trim(escape_markdown(" ".join((c.title or c.article_id).split())), 200)
    title = title.replace("[", "(").replace("]", ")")
    if not full:
        return f"**{title}**"
    line = linked(title, c.url)
    first = first_line(c)
    if first:
        line += f"\n*{trim(escape_markdown(first), 200)}*"
    return f"{line}\n*{_also_in(c.also_in)}*" if c.also_in else line


def _said(c: Citation) -> str:
    """The attribution line under a quote ("said by … · reported by AFP"), or nothing."""
    line = c.attribution.line if c.attribution is not None else ""
    return "\n-# " + trim(escape_markdown(line), 200) if line else ""


def _gloss(c: Citation) -> str:
    """The checked machine translation under a quote, marked as one, never in quotation marks;
    or nothing."""
    return (
        f"\n-# {LABEL}: " + trim(escape_markdown(" ".join(c.gloss.split())), 300) if c.gloss else ""
    )


def _quote(text: str, limit: int) -> str:
    body = escape_markdown(" ".join(text.split()))
    return "“" + trim(body, max(limit - 2, 1)) + "”"


def citation_embeds(citations: tuple[Citation, ...] | list[Citation]) -> list[discord.Embed]:
    """Every citation as an embed field (title link, then the quote), within the limits."""
    if not citations:
        return []
    heads = [(_field_name(c), _title_line(c)) for c in citations]
    said = [_gloss(c) + _said(c) for c in citations]
    embeds_needed = -(-len(citations) // FIELDS_PER_EMBED)
    overhead = len(SOURCES_TITLE) * embeds_needed + sum(len(n) + len(t) + 1 for n, t in heads)
    overhead += sum(len(s) for s in said)
    share = (EMBED_TOTAL - overhead) // len(citations)
    embeds: list[discord.Embed] = []
    for i, (c, (name, title), line) in enumerate(zip(citations, heads, said, strict=True)):
        if i % FIELDS_PER_EMBED == 0:
            embeds.append(discord.Embed(title=SOURCES_TITLE, colour=COLOUR))
        # The quote is what is cited: it keeps MIN_QUOTE characters, the rest gives way (the
        # gloss and the speaker first, then the link, the first report and the copies).
        if FIELD_VALUE_LIMIT - len(title) - len(line) - 1 < MIN_QUOTE:
            line = ""
        if FIELD_VALUE_LIMIT - len(title) - 1 < MIN_QUOTE:
            title = _title_line(c, full=False)
        room = min(FIELD_VALUE_LIMIT - len(title) - len(line) - 1, share)
        value = f"{title}\n{_quote(c.quote, room)}{line}"
        embeds[-1].add_field(name=name, value=value, inline=False)
    return embeds


QUOTED = re.compile(r"“([^”]*)”")


def fit_answer(text: str, limit: int = CONTENT_LIMIT) -> str:
    """The answer within ``limit``: its inline “quotes” shortened evenly, [n] markers kept."""
    if len(text) <= limit:
        return text
    spans = [m.span(1) for m in QUOTED.finditer(text)]
    quoted = [end - start for start, end in spans]
    fixed = len(text) - sum(quoted)
    room = limit - fixed
    if not spans or room < 2 * len(spans):
        return trim(text, limit)
    cap = 0
    for candidate in range(max(quoted), 0, -1):  # the largest even cap that fits
        if sum(min(q, candidate) for q in quoted) <= room:
            cap = candidate
            break
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], trim(text[start:end], cap)]
        last = end
    out.append(text[last:])
    return trim("".join(out), limit)


READING = "-# Reading these passages to check that they answer the question…"
WRITING = "-# Writing a short answer from these quotes…"
WRITTEN_NOTE = "-# Written by a language model from the quotes below; each sentence was checked."


def render_answer(answer: Answer, writing: str | None = None, reading: bool = False) -> Reply:
    """The framing text with its [n] markers (or the checked written answer), then each citation;
    a decline is text alone. ``writing`` is the checked answer so far while it is being written
    (an empty string before its first sentence); ``reading``: the quotes are still being read."""
    if answer.abstained or not answer.citations:
        return Reply(fit_answer(escape_mentions(answer.answer)))
    embeds = citation_embeds(answer.citations)
    written = answer.written
    if reading or writing is not None:
        note = READING if reading else WRITING
        text = _model_text(writing) if writing else escape_mentions(answer.answer)
        return Reply(trim(text, CONTENT_LIMIT - len(note) - 1) + "\n" + note, embeds)
    as_of = f"\n*{as_of_line(answer)}*" if answer.as_of else ""
    if written is not None and written.shown:
        room = CONTENT_LIMIT - len(WRITTEN_NOTE) - len(as_of) - 1
        return Reply(f"{trim(_model_text(written.text), room)}\n{WRITTEN_NOTE}{as_of}", embeds)
    return Reply(
        fit_answer(escape_mentions(answer.answer), CONTENT_LIMIT - len(as_of)) + as_of, embeds
    )


def _model_text(text: str) -> str:
    """What a language model wrote, shown as plain text: no markdown, and no mention (it may
    echo the question's "@everyone" or "<@&role>"); a zero-width space after each "@" keeps the
    message from pinging even without ``NO_PINGS``."""
    return escape_mentions(escape_markdown(text))


def _source_line(a: ArticleInfo) -> str:
    title = trim(escape_markdown(" ".join((a.title or a.id).split())), 200)
    title = title.replace("[", "(").replace("]", ")")
    meta = escape_markdown(a.byline)
    line = f"• {linked(title, a.url)}" + (f" — {meta}" if meta else "")
    return f"{line} ({_also_in(a.copies)})" if a.copies else line


def source_pages(articles: list[ArticleInfo], per_page: int = 15) -> list[discord.Embed]:
    """The articles as embeds of at most ``per_page`` lines each (one embed per page)."""
    if not articles:
        return [discord.Embed(title=SOURCES_TITLE, description="No articles are indexed yet.")]
    lines = [trim(_source_line(a), 900) for a in articles]
    pages: list[list[str]] = [[]]
    for line in lines:
        page = pages[-1]
        if len(page) >= per_page or sum(len(x) + 1 for x in page) + len(line) > 3900:
            pages.append(page := [])
        page.append(line)
    total = len(pages)
    count = sum(1 + len(a.copies) for a in articles)
    embeds = []
    for n, page in enumerate(pages, 1):
        embed = discord.Embed(title=SOURCES_TITLE, description="\n".join(page), colour=COLOUR)
        embed.set_footer(text=f"{count} articles · page {n} of {total}")
        embeds.append(embed)
    return embeds


def check_limits(content: str, embeds: list[discord.Embed]) -> None:
    """Raise ``ValueError`` when a message would break one of Discord's limits (tests use it)."""
    problems = []
    if len(content) > CONTENT_LIMIT:
        problems.append(f"content is {len(content)} characters")
    if len(embeds) > EMBEDS_PER_MESSAGE:
        problems.append(f"{len(embeds)} embeds")
    if sum(embed_size(e) for e in embeds) > EMBED_TOTAL:
        problems.append("embeds exceed 6,000 characters")
    for e in embeds:
        if e.description and len(e.description) > DESCRIPTION_LIMIT:
            problems.append("an embed description is too long")
        if len(e.fields) > FIELDS_PER_EMBED:
            problems.append("too many fields")
        for f in e.fields:
            if len(f.value or "") > FIELD_VALUE_LIMIT or len(f.name or "") > TITLE_LIMIT:
                problems.append(f"field {f.name!r} is too long")
    if problems:
        raise ValueError("; ".join(problems))
