"""A feed poll that adds 20 articles to the 3,000-article index: how long until all 20 are
answerable, and whether questions asked meanwhile are answered (and how much slower).

A copy of the ``news3k`` index (the seeds + ``articles.jsonl``, real model) is polled for an RSS
feed served on 127.0.0.1 that holds 20 articles of ``articles_all.jsonl.gz`` not in the index.
A second thread asks the seed questions in a loop from before the poll until it is answerable;
the same questions asked before the poll are the latency baseline. "Answerable": a search for
each new article's title finds it among the first three hits.

    python -m bench.feeds [--index DIR] [--articles PATH] [--new PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import shutil
import statistics
import threading
import time
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.common import NEWS, NEWS_ALL, SEEDS, percentile, read_jsonl, require

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def rss(rows: list[dict[str, Any]]) -> bytes:
    items = []
    for r in rows:
        day = dt.datetime.fromisoformat(r["date"][:10]).replace(hour=9, tzinfo=dt.UTC)
        body = "".join(f"<p>{escape(p)}</p>" for p in r["text"].split("\n") if p.strip())
        items.append(
            f"<item><title>{escape(r['title'])}</title><link>{escape(r['url'])}</link>"
            f"<guid>{escape(r['id'])}</guid><pubDate>{format_datetime(day)}</pubDate>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        "<title>Bench wire</title><language>fr</language>" + "".join(items) + "</channel></rss>"
    ).encode()


def serve(body: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Asker(threading.Thread):
    """Asks ``questions`` in a loop until stopped; records latencies and failures."""

    def __init__(self, engine: Any, questions: list[str]) -> None:
        super().__init__(daemon=True)
        self.engine, self.questions = engine, questions
        self.stop = threading.Event()
        self.seconds: list[float] = []
        self.failures: list[str] = []

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            q = self.questions[n % len(self.questions)]
            n += 1
            t0 = time.perf_counter()
            try:
                self.engine.ask(q)
            except Exception as exc:  # a question that fails is what this bench looks for
                self.failures.append(f"{q}: {exc!r}")
            self.seconds.append(time.perf_counter() - t0)


def answerable(engine: Any, rows: list[dict[str, Any]], ids: dict[str, str]) -> int:
    found = 0
    for r in rows:
        hits = engine.search(r["title"], k=3)
        found += any(h.article_id == ids.get(r["url"]) for h in hits)
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=RESULTS / "news3k")
    ap.add_argument("--articles", type=Path, default=NEWS)
    ap.add_argument("--new", type=Path, default=NEWS_ALL, help="the 20 new articles come from")
    ap.add_argument("--count", type=int, default=20)
    args = ap.parse_args()
    require(args.index / "revue.db", args.articles, args.new, SEEDS)
    from index.engine import Revue
    from index.settings import Settings

    scratch = RESULTS / "feeds-scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(args.index, scratch, ignore=shutil.ignore_patterns("index.lock", "eval"))
    indexed = {r["id"] for r in read_jsonl(args.articles)}
    with gzip.open(args.new, "rt", encoding="utf-8") as fh:
        fresh = [r for r in map(json.loads, fh) if r["id"] not in indexed and r.get("url")]
    rows = sorted(fresh, key=lambda r: r["date"])[-args.count :]
    server = serve(rss(rows))
    url = f"http://127.0.0.1:{server.server_address[1]}/rss"
    engine = Revue(Settings(data_dir=scratch, writer="none"))
    questions = [json.loads(x)["question"] for x in SEEDS.read_text().splitlines() if x.strip()]
    engine.ask(questions[0])  # models loaded: not part of either side

    baseline = Asker(engine, questions)
    baseline.start()
    time.sleep(30)
    baseline.stop.set()
    baseline.join()

    during = Asker(engine, questions)
    engine.following.follow(url)
    during.start()
    t0 = time.perf_counter()
    report = engine.poll()
    poll_s = time.perf_counter() - t0
    ids = {a.article.url or "": _article_id(engine, a.path) for a in report.added}
    found = answerable(engine, rows, ids)
    total_s = time.perf_counter() - t0
    during.stop.set()
    during.join()
    engine.close()
    server.shutdown()
    summary = {
        "new_articles": len(report.added),
        "chunks_embedded": report.index.chunks_embedded if report.index else None,
        "poll_and_index_s": round(poll_s, 1),
        "until_answerable_s": round(total_s, 1),
        "answerable": f"{found}/{len(rows)}",
        "questions_during": len(during.seconds),
        "failed_during": len(during.failures),
        "p50_before_s": round(statistics.median(baseline.seconds), 2),
        "p50_during_s": round(statistics.median(during.seconds), 2),
        "p95_during_s": round(percentile(during.seconds, 95), 2),
        "failures": during.failures[:5],
    }
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    (RESULTS / "feeds.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))


def _article_id(engine: Any, path: Path) -> str:
    """The id the index gave the saved file (its path under the feeds folder, as it loads)."""
    from index.ingest.corpus import load_corpus

    (article,) = load_corpus([path]).articles
    return article.id


if __name__ == "__main__":
    main()
