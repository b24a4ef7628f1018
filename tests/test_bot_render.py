"""Rendering answers and source lists within Discord's limits (no Discord needed)."""

from __future__ import annotations

import pytest

from bot.render import (
    CONTENT_LIMIT,
    check_limits,
    citation_embeds,
    fit_answer,
    render_answer,
    source_pages,
    trim,
)
from index.records import Answer, ArticleInfo, Citation, Copy


def citation(n: int, quote: str, **kw: str | None) -> Citation:
    fields = {"title": f"Title {n}", "source": "AFP", "date": "2025-12-02", "url": None, **kw}
    return Citation(
        n=n, article_id=f"a{n}", quote=quote, start=0, end=len(quote), score=1.0, **fields
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [1, 2, 5, 50, 1000])
def test_trim_fits_and_marks_the_cut(limit):
    text = "mot " * 400
    out = trim(text, limit)
    assert len(out) <= limit and out.endswith("…")
    assert trim("short", limit if limit >= 5 else 5) == "short"


def test_fit_answer_shortens_inline_quotes_and_keeps_every_marker():
    text = "Here is what the coverage says: " + " ".join(
        f"“{'mot ' * (50 + 100 * n)}” [{n}]" for n in range(1, 8)
    )
    out = fit_answer(text)
    assert len(text) > CONTENT_LIMIT >= len(out)
    assert all(f"[{n}]" in out for n in range(1, 8))
    assert out.startswith("Here is what the coverage says: “mot")


@pytest.mark.parametrize("count", [1, 3, 12, 30, 60])
def test_many_long_citations_fit_and_none_is_dropped(count):
    cites = [
        citation(n, "Un passage cité. " * 300, url=f"https://example.org/{n}")
        for n in range(1, count + 1)
    ]
    embeds = citation_embeds(cites)
    check_limits("", embeds)
    names = [f.name for e in embeds for f in e.fields]
    assert [name.split("]")[0] for name in names] == [f"[{n}" for n in range(1, count + 1)]


def test_a_citation_shows_outlet_date_linked_title_and_the_quote():
    (embed,) = citation_embeds([citation(1, "La *qualité* prime.", url="https://x.fr/a")])
    (f,) = embed.fields
    assert f.name == "[1] AFP · 2025-12-02"
    assert f.value == "[Title 1](https://x.fr/a)\n“La \\*qualité\\* prime.”"


def test_a_decline_has_no_embeds():
    reply = render_answer(Answer("q?", "The coverage I have doesn't say.", True, "en"))
    assert reply.content == "The coverage I have doesn't say." and reply.embeds == []


def test_sources_are_paged_within_the_limits():
    articles = [
        ArticleInfo(f"id{n}", f"Titre {n} " * 20, "AFP", "2025-12-02", f"https://x.fr/{n}", 3)
        for n in range(40)
    ]
    pages = source_pages(articles)
    assert len(pages) == 3
    for page in pages:
        check_limits("", [page])
    text = "\n".join(p.description or "" for p in pages)
    assert all(f"(https://x.fr/{n})" in text for n in range(40))
    assert pages[-1].footer.text == "40 articles · page 3 of 3"


def test_wire_copies_are_named_under_the_citation_and_the_source_line():
    copies = tuple(
        Copy(f"c{n}", source, "2026-03-05", None, "Cordemais")
        for n, source in enumerate(["Ouest-France", "Presse Océan", "Ouest-France"])
    )
    c = Citation(
        n=1,
        article_id="afp",
        title="Cordemais",
        source="AFP",
        date="2026-03-05",
        url=None,
        quote="Les 350 salariés se verraient proposer un reclassement.",
        start=0,
        end=55,
        score=1.0,
        also_in=copies,
    )
    (embed,) = render_answer(
        Answer("q", "Here is what the coverage says: “…” [1]", False, "en", (c,))
    ).embeds
    assert "also in: Ouest-France, Presse Océan" in embed.fields[0].value
    info = ArticleInfo("afp", "Cordemais", "AFP", "2026-03-05", None, 1, copies=copies)
    (page,) = source_pages([info])
    assert "also in: Ouest-France, Presse Océan" in (page.description or "")
    assert (page.footer.text or "").startswith("4 articles")
    check_limits("", [embed, page])


def test_a_citation_with_every_part_at_its_longest_keeps_its_quote_within_the_field():
    """A long title and link, many copies, a first report, a speaker and a gloss: the field
    stays within Discord's 1,024 characters, and the quote keeps its place."""
    from dataclasses import replace

    from index.records import Attribution, FirstReport

    copies = tuple(
        Copy(
            article_id=f"c{n}",
            source=f"Outlet with a long name {n}",
            date=None,
            url=None,
            title=None,
        )
        for n in range(8)
    )
    first = FirstReport(
        article_id="c0", source="Agence " * 30, date="2025-12-01", title="t", outlets=9, articles=9
    )
    said = Attribution(speaker="Quelqu'un " * 20, role="porte-parole " * 20, where="sur X " * 20)
    long = citation(
        1, "Un passage cité. " * 40, title="Titre " * 40, url="https://example.org/" + "x" * 480
    )
    long = replace(long, also_in=copies, first=first, attribution=said, gloss="A gloss. " * 40)
    (embed,) = citation_embeds([long])
    check_limits("", [embed])
    (field,) = embed.fields
    assert len(field.value) <= 1024
    assert "“Un passage cité. Un passage cité." in field.value
