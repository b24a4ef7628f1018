"""Behaviour of index.ingest.corpus.load_corpus."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from index.errors import CorpusPathError
from index.ingest.corpus import load_corpus
from index.records import Problem
from tests.conftest import write

REPO = Path(__file__).resolve().parent.parent
NEWS_FR_3000 = Path("/work/shared/data/news_fr/articles.jsonl")

GOOD_MD = """---
title: "OpenAI en « Code Rouge »"
source: Le Quotidien
author: Jeanne Martin
date: 2025-12-02
url: https://example.org/openai
language: fr
---

Sam Altman a déclenché l’« alerte rouge ».
Deuxième ligne.

"""

PAGE = """<!DOCTYPE html>
<html lang="fr-FR">
<head>
<meta charset="utf-8">
<title>OpenAI déclenche l’« alerte rouge » | Le Quotidien</title>
<meta property="og:title" content="OpenAI déclenche l’« alerte rouge »">
<meta property="og:site_name" content="Le Quotidien">
<meta property="og:url" content="https://example.org/tech/openai-alerte-rouge">
<meta name="author" content="Jeanne Martin">
<meta property="article:published_time" content="2025-12-02T09:30:00+01:00">
</head>
<body>
<header><nav><ul>
<li><a href="/">Accueil</a></li><li><a href="/politique">Politique</a></li>
<li><a href="/tech">Rubrique Technologies</a></li>
</ul></nav></header>
<main><article>
<h1>OpenAI déclenche l’« alerte rouge »</h1>
<p>Le patron d’OpenAI, Sam Altman, a lancé une « alerte rouge » dans un message interne aux
salariés, un appel à recentrer les travaux de la start-up sur ChatGPT.</p>
<p>Dans ce courrier, diffusé lundi, le directeur général plaide pour des améliorations de
ChatGPT en matière de personnalisation, de vitesse et de fiabilité.</p>
<p>Mi-novembre, Google a revendiqué plus de 650 millions d’utilisateurs mensuels pour son
chatbot Gemini, un chiffre quasiment doublé en sept mois.</p>
</article></main>
<footer><p>© 2019 Le Quotidien — Tous droits réservés</p>
<a href="/mentions">Mentions légales</a> <a href="/cookies">Gestion des cookies</a></footer>
</body>
</html>
"""


def jsonl(*rows: object) -> str:
    return "".join(
        (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
    )


def test_bundled_corpus_loads_two_articles() -> None:
    load = load_corpus([REPO / "corpus"])
    assert load.problems == ()
    by_id = {a.id: a for a in load.articles}
    assert sorted(by_id) == [
        "afp-openai-alerte-rouge",
        "institut-arts-numeriques-openai-code-rouge",
    ]
    afp = by_id["afp-openai-alerte-rouge"]
    assert afp.source == "AFP" and afp.title is None and afp.language == "fr"
    assert afp.text.startswith("Le patron d’OpenAI, Sam Altman")
    assert "tu/ni/vmt" not in afp.text and "Réagissez" not in afp.text
    blog = by_id["institut-arts-numeriques-openai-code-rouge"]
    assert blog.title == "OpenAI en « Code Rouge » : quand la qualité prime sur la monétisation"
    assert blog.source == "Institut des Arts Numériques"
    assert blog.author == "institutartsnumeri"
    assert "toutes les initiatives annexes sont mises en pause" in blog.text
    assert "Commentaires" not in blog.text and "min de lecture" not in blog.text
    for article in load.articles:
        assert article.date is None and article.url is None  # none in the scraped seeds
        assert article.text == article.text.strip()


def test_front_matter_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "2025" / "openai.md", GOOD_MD.replace("\n", "\r\n"))
    (article,) = load_corpus([tmp_path]).articles
    assert article.id == "2025/openai"
    assert article.title == "OpenAI en « Code Rouge »"
    assert article.source == "Le Quotidien"
    assert article.author == "Jeanne Martin"
    assert article.date == "2025-12-02"  # YAML date -> ISO string
    assert article.url == "https://example.org/openai"
    assert article.language == "fr"
    assert article.origin == str(path)
    assert article.text == "Sam Altman a déclenché l’« alerte rouge ».\nDeuxième ligne."


def test_front_matter_id_overrides_path(tmp_path: Path) -> None:
    write(tmp_path / "a.markdown", "---\nid: 42\ntitle: T\n---\nCorps.\n")
    (article,) = load_corpus([tmp_path]).articles
    assert article.id == "42" and article.text == "Corps."


def test_txt_without_front_matter_uses_stem(tmp_path: Path) -> None:
    path = write(tmp_path / "sub" / "brève.txt", "\n\nUne dépêche sans en-tête.  \n\n")
    (article,) = load_corpus([path]).articles
    assert article.id == "brève"
    assert article.title is None and article.source is None
    assert article.text == "Une dépêche sans en-tête."


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    write(tmp_path / "page.html", PAGE)
    load = load_corpus([tmp_path])
    assert load.problems == ()
    (article,) = load.articles
    assert article.id == "page"
    assert "Sam Altman, a lancé une « alerte rouge »" in article.text
    assert "650 millions d’utilisateurs mensuels" in article.text
    for chrome in ("Accueil", "Rubrique Technologies", "Mentions légales", "cookies", "©"):
        assert chrome not in article.text
    assert article.title == "OpenAI déclenche l’« alerte rouge »"
    assert article.source == "Le Quotidien"
    assert article.author == "Jeanne Martin"
    assert article.date == "2025-12-02"
    assert article.url == "https://example.org/tech/openai-alerte-rouge"
    assert article.language == "fr"


def test_jsonl_and_gz(tmp_path: Path) -> None:
    rows = jsonl(
        {
            "id": 7,
            "title": "Un",
            "text": "Texte un.",
            "date": "2024-01-02",
            "source": "AFP",
            "url": "https://x.test/1",
            "author": "A. B.",
            "language": "fr",
            "extra": [1, 2],
        },
        "",
        {"id": "deux", "text": "Texte\r\ndeux.\n"},
    )
    plain = write(tmp_path / "a.jsonl", rows)
    gz = write(
        tmp_path / "b.jsonl.gz", gzip.compress(jsonl({"id": "trois", "text": "Trois."}).encode())
    )
    load = load_corpus([tmp_path])
    assert load.problems == ()
    one, two, three = load.articles
    assert (one.id, one.title, one.date, one.source, one.url, one.author, one.language) == (
        "7",
        "Un",
        "2024-01-02",
        "AFP",
        "https://x.test/1",
        "A. B.",
        "fr",
    )
    assert one.origin == f"{plain}:1"
    assert (two.id, two.text, two.origin, two.title) == ("deux", "Texte\ndeux.", f"{plain}:3", None)
    assert (three.id, three.text, three.origin) == ("trois", "Trois.", f"{gz}:1")


def test_malformed_inputs_are_problems(tmp_path: Path) -> None:
    write(tmp_path / "good.md", GOOD_MD)
    bad_yaml = write(tmp_path / "bad_yaml.md", "---\ntitle: [unclosed\n---\nCorps.\n")
    unclosed = write(tmp_path / "unclosed.md", "---\ntitle: x\nCorps.\n")
    empty = write(tmp_path / "empty.txt", "---\ntitle: Vide\n---\n\n  \n")
    latin1 = write(tmp_path / "latin1.txt", "Dépêche en Latin-1.".encode("latin-1"))
    nav_only = write(
        tmp_path / "nav.html",
        "<html><body><nav><a href='/'>Accueil</a> <a href='/x'>Politique</a></nav></body></html>",
    )
    other = write(tmp_path / "notes.pdf", b"%PDF-1.4")
    lines = write(
        tmp_path / "lines.jsonl",
        jsonl(
            {"id": "ok", "text": "Bon."},
            "{not json",
            "[1, 2]",
            {"text": "Sans id."},
            {"id": "no-text"},
            {"id": "blank", "text": "  \n"},
            {"id": "num", "text": 12},
        ),
    )
    corrupt = write(tmp_path / "corrupt.jsonl.gz", b"\x1f\x8b\x08\x00garbage, not deflate")

    load = load_corpus([tmp_path])

    assert sorted(a.id for a in load.articles) == ["good", "ok"]
    reasons = {p.origin: p.reason for p in load.problems}
    assert reasons[str(bad_yaml)].startswith("bad front matter: ")
    assert "\n" not in reasons[str(bad_yaml)]
    assert reasons[str(unclosed)] == "bad front matter: no closing ---"
    assert reasons[str(empty)] == "empty text"
    assert reasons[str(latin1)] == (
        "not UTF-8 text: byte 0xe9 on line 1 (Latin-1 or Windows-1252?)"
    )
    assert reasons[str(nav_only)] == "no main text found in html"
    assert reasons[str(other)] == "unsupported file type .pdf"
    assert reasons[f"{lines}:2"].startswith("not valid JSON: ")
    assert reasons[f"{lines}:3"] == "not a JSON object (a list)"
    assert reasons[f"{lines}:4"] == "missing id"
    assert reasons[f"{lines}:5"] == "missing text"
    assert reasons[f"{lines}:6"] == "empty text"
    assert reasons[f"{lines}:7"] == "text is not a string (a number)"
    assert reasons[str(corrupt)].startswith("corrupt gzip file")
    assert len(load.problems) == 13


def test_truncated_gz_keeps_lines_before_the_damage(tmp_path: Path) -> None:
    rows = jsonl(*({"id": f"a{i}", "text": f"Texte {i} " * 50} for i in range(200)))
    data = gzip.compress(rows.encode(), compresslevel=1)
    path = write(tmp_path / "cut.jsonl.gz", data[: len(data) // 2])
    load = load_corpus([path])
    assert 0 < len(load.articles) < 200
    (problem,) = load.problems
    assert problem.origin == str(path)
    assert problem.reason == f"corrupt gzip file after line {len(load.articles)}"


def test_hidden_files_and_dirs_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / ".hidden.md", "Caché.")
    write(tmp_path / ".git" / "x.md", "Caché.")
    write(tmp_path / "b" / "z.md", "Z.")
    write(tmp_path / "a.md", "A.")
    load = load_corpus([tmp_path])
    assert [a.id for a in load.articles] == ["a", "b/z"]
    assert load.problems == ()


def test_same_file_twice_is_loaded_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "A.")
    assert [a.id for a in load_corpus([tmp_path, path]).articles] == ["a"]


def test_duplicate_id_across_files_keeps_the_first(tmp_path: Path) -> None:
    first = write(tmp_path / "a.md", "---\nid: same\n---\nUn.\n")
    lines = write(
        tmp_path / "b.jsonl", jsonl({"id": "x", "text": "X."}, {"id": "same", "text": "D."})
    )
    load = load_corpus([tmp_path])
    assert [(a.id, a.text) for a in load.articles] == [("same", "Un."), ("x", "X.")]
    assert load.problems == (
        Problem(f"{lines}:2", f"duplicate id 'same': already read from {first}"),
    )


def test_duplicate_id_across_paths(tmp_path: Path) -> None:
    a = write(tmp_path / "one" / "story.md", "Un.")
    b = write(tmp_path / "two" / "story.txt", "Deux.")
    load = load_corpus([tmp_path / "one", tmp_path / "two"])
    assert [(x.id, x.text) for x in load.articles] == [("story", "Un.")]
    assert load.problems == (Problem(str(b), f"duplicate id 'story': already read from {a}"),)


def test_missing_path_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(CorpusPathError, match="nope"):
        load_corpus([missing])


def test_single_unsupported_file_is_a_problem(tmp_path: Path) -> None:
    path = write(tmp_path / "data.csv", "id,text\n")
    assert load_corpus([path]).problems == (Problem(str(path), "unsupported file type .csv"),)


@pytest.mark.skipif(not NEWS_FR_3000.exists(), reason="shared news_fr data not present")
def test_news_fr_sample_loads() -> None:
    load = load_corpus([NEWS_FR_3000])
    assert len(load.articles) == 3000
    assert load.problems == ()
