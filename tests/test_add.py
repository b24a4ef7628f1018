"""Feeds and ``revue add`` through a local HTTP server on 127.0.0.1 (no internet)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from index.ingest.corpus import load_corpus
from tests.conftest import write

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<title>La digue de Saint-Malo sera rehaussée | Le Petit Malouin</title>
<meta property="og:title" content="La digue de Saint-Malo sera rehaussée">
<meta property="og:site_name" content="Le Petit Malouin">
<meta property="article:published_time" content="2026-02-14T08:00:00+01:00">
</head><body>
<nav><a href="/">Accueil</a> <a href="/sport">Sport</a> <a href="/compte">Mon compte</a></nav>
<article><h1>La digue de Saint-Malo sera rehaussée</h1>
<p>La ville de Saint-Malo va rehausser de quatre-vingts centimètres la digue du Sillon, a
annoncé le maire lors du conseil municipal de jeudi soir.</p>
<p>Les travaux, estimés à 18 millions d'euros, doivent commencer en septembre et durer deux ans.
Ils sont financés pour moitié par l'État au titre du fonds de prévention des risques naturels.</p>
<p>Les tempêtes de l'hiver dernier avaient projeté des galets jusque sur la chaussée.</p>
</article>
<footer>Commentez cet article · Abonnez-vous à la newsletter</footer>
</body></html>"""

SECOND = PAGE.replace("digue de Saint-Malo sera rehaussée", "plage du Sillon rouvre").replace(
    "La ville de Saint-Malo va rehausser de quatre-vingts centimètres la digue du Sillon",
    "La plage du Sillon rouvre au public après trois mois de fermeture pour nettoyage",
)

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Le Petit Malouin</title><link>{base}/</link><language>fr</language>
<item><title>Le festival Étonnants Voyageurs affiche complet</title>
<link>{base}/festival.html</link><guid>malouin-festival</guid>
<pubDate>Sat, 14 Feb 2026 09:00:00 +0100</pubDate>
<content:encoded><![CDATA[<p>Le festival Étonnants Voyageurs affiche complet pour sa
trente-septième édition : les 40 000 billets ont été vendus en une semaine.</p>]]></content:encoded>
</item>
<item><title>La plage du Sillon rouvre</title><link>{base}/plage.html</link>
<guid>malouin-plage</guid><pubDate>Sun, 15 Feb 2026 09:00:00 +0100</pubDate>
<description>La plage rouvre.</description></item>
<item><title>Article disparu</title><link>{base}/missing.html</link>
<guid>malouin-missing</guid><description>Un article retiré du site.</description></item>
</channel></rss>"""

ROUTES = {
    "/digue.html": ("text/html; charset=utf-8", PAGE.encode()),
    "/plage.html": ("text/html; charset=utf-8", SECOND.encode()),
    "/feed.xml": ("application/rss+xml", FEED.encode()),
    "/photo.png": ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)),
    "/empty.html": ("text/html", b"<html><body><nav><a href='/'>Accueil</a></nav></body></html>"),
    "/broken.xml": ("application/rss+xml", b"<?xml version='1.0'?><rss><channel><title>x"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        route = ROUTES.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        kind, body = route
        body = body.replace(b"{base}", self.server.base.encode())  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.base = base  # type: ignore[attr-defined]
    # A short poll: shutdown() waits for it (0.5 s by default, at every test).
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def revue(*args: str):
    return CliRunner().invoke(cli, list(args))


def files(corpus: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*"))}


@pytest.mark.model  # `revue index` and `revue ask` with the default (real) model
def test_add_a_page_then_index_and_ask(site, tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    out = revue("add", f"{site}/digue.html", "--corpus-dir", str(corpus))
    assert out.exit_code == 0, out.output
    ((name, text),) = files(corpus).items()
    assert name == "2026-02-14-la-digue-de-saint-malo-sera-rehaussee.md"
    assert "title: La digue de Saint-Malo sera rehaussée\n" in text
    assert "source: Le Petit Malouin\n" in text
    assert f"url: {site}/digue.html\n" in text
    assert "18 millions d'euros" in text
    assert "Mon compte" not in text and "newsletter" not in text  # site chrome is not article

    again = revue("add", f"{site}/digue.html", "--corpus-dir", str(corpus))
    assert again.exit_code == 1 and "already in the corpus" in again.output
    assert len(files(corpus)) == 1

    monkeypatch.setenv("REVUE_DATA_DIR", str(tmp_path / "data"))
    assert revue("index", "--corpus", str(corpus)).exit_code == 0
    answer = revue("ask", "Combien coûtent les travaux de la digue de Saint-Malo ?")
    assert "18 millions" in answer.output and f"{site}/digue.html" in answer.output


def test_add_a_feed_fetches_summary_only_entries_and_names_the_missing_one(site, tmp_path):
    corpus = tmp_path / "corpus"
    out = revue("add", f"{site}/feed.xml", "--corpus-dir", str(corpus))
    assert out.exit_code == 0, out.output
    written = files(corpus)
    assert len(written) == 3
    festival = next(t for n, t in written.items() if "festival" in n)
    assert "40 000 billets" in festival  # the feed's full content
    plage = next(t for n, t in written.items() if "plage" in n)
    assert "trois mois de fermeture" in plage  # fetched from the page: the feed had a summary
    missing = next(t for n, t in written.items() if "disparu" in n)
    assert "Un article retiré du site." in missing
    assert "'Article disparu': kept the feed's summary" in out.output
    assert "HTTP 404" in out.output


def test_index_reads_feed_files(tmp_path, make_engine, site):
    import urllib.request

    raw = urllib.request.urlopen(f"{site}/feed.xml").read()
    corpus = tmp_path / "corpus"
    write(corpus / "malouin.rss", raw)
    write(corpus / "notes.xml", "<?xml version='1.0'?><notes><note>rien</note></notes>")
    loaded = load_corpus([corpus])
    assert {a.id for a in loaded.articles} == {
        "malouin-festival",
        "malouin-plage",
        "malouin-missing",
    }
    festival = next(a for a in loaded.articles if a.id == "malouin-festival")
    assert festival.source == "Le Petit Malouin" and festival.date == "2026-02-14"
    assert [(Path(p.origin).name, p.reason) for p in loaded.problems] == [
        ("notes.xml", "not an RSS or Atom feed")
    ]
    summary = make_engine().index([corpus])
    assert summary.added == 3


def unreachable_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/article.html"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("unreachable", "cannot fetch"),
        ("/nowhere.html", "HTTP 404"),
        ("/photo.png", "not an HTML page or a feed (image/png)"),
        ("/empty.html", "no main text"),
        ("/broken.xml", "is a malformed feed"),
        ("binary-file", "not an HTML page or a feed"),
        ("missing-file", "neither an http(s) URL nor a readable file"),
    ],
)
def test_bad_inputs_are_one_message_and_nothing_is_lost(site, tmp_path, path, words):
    corpus = tmp_path / "corpus"
    keep = write(corpus / "existing.md", "---\ntitle: Déjà là\n---\nUn article déjà présent.\n")
    if path == "unreachable":
        target = unreachable_url()
    elif path == "binary-file":
        target = str(write(tmp_path / "scan.html", b"\x00\x01\x02PDF" * 100))
    elif path == "missing-file":
        target = str(tmp_path / "nope.html")
    else:
        target = site + path
    out = revue("add", target, "--corpus-dir", str(corpus))
    assert out.exit_code == 1
    (line,) = out.output.strip().splitlines()
    assert line.startswith("revue: ") and words in line, line
    assert "Traceback" not in out.output
    assert files(corpus) == {"existing.md": keep.read_text(encoding="utf-8")}
