"""Many people asking at once: the real bot (discord.py) against the fake Discord on loopback.

``--questions`` questions from ``--users`` users in ``--channels`` channels arrive together. Each
gets an answer or a "try again in N s"; a user told to wait asks again after N s (as a patient
person would), so every question is answered in the end or the run says which were not. Measured:
the first reply each question got, the heartbeats the gateway received (a gap over 1.5 intervals
is a missed one), the event loop's lag, and the time from a question to its answer.

    python bench/load.py --questions 50 200      # the index of bench/results/news3k, real model
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import shutil
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import NEWS, PIAF, latency_questions, percentile, read_jsonl, require  # noqa: E402

RESULTS = ROOT / "bench" / "results"
WAIT = re.compile(r"ask again (?:in (\d+) s|once it is)")
CHANNELS = tuple(900_000_000_000_000_200 + n for n in range(50))


@dataclass
class Question:
    text: str
    user: int
    channel: int
    asked_at: float = 0.0
    message_ids: list[str] = field(default_factory=list)
    first_reply: str | None = None  # "answered" or the refusal's first words
    answered_at: float | None = None
    tries: int = 0
    pending: bool = False  # sent, no reply yet
    turn: int = 0  # its place among its asker's questions told to wait for the one in flight


def questions(count: int, users: int, channels: int, news: Path) -> list[Question]:
    """Seed and PIAF questions, then news headlines asked as questions; users and channels
    dealt round robin (each user keeps one channel, as people do)."""
    texts = latency_questions(PIAF, 40)
    if news.exists():
        titles = [r["title"] for r in read_jsonl(news) if r.get("title")]
        texts += [f"Que sait-on de : {t} ?" for t in random.Random(1).sample(titles, count)]
    return [
        Question(texts[n % len(texts)], 5000 + n % users, CHANNELS[(n % users) % channels])
        for n in range(count)
    ]


async def ask(fake: Any, q: Question) -> None:
    from tests.fake_discord import BOT_ID, user

    q.tries += 1
    q.pending = True
    sent = await fake.send_message(
        f"<@{BOT_ID}> {q.text}", author=user(q.user, f"u{q.user}"), channel_id=q.channel
    )
    q.message_ids.append(sent["id"])


def replied_to(rec: Any) -> str | None:
    """The message a bot reply answers: its reference, or the thread named after it."""
    ref = rec.json.get("message_reference") or {}
    if ref.get("message_id"):
        return str(ref["message_id"])
    return str(rec.path.split("/")[2])  # /channels/<thread id = question message id>/messages


async def run_load(engine: Any, qs: list[Question], limit_s: float) -> dict[str, Any]:
    """Ask every question at once, the refused again when told; what happened (``summary``)."""
    from bot.limits import Limits
    from tests.fake_discord import FakeDiscord
    from tests.test_bot import running_bot

    by_message: dict[str, Question] = {}
    retries: list[asyncio.Task[None]] = []
    channels = sorted({q.channel for q in qs})
    async with (
        FakeDiscord(CHANNELS, heartbeat_ms=1000) as fake,
        # the limits as shipped (the tests' bot turns the per-user rate off)
        running_bot(engine, fake, channels=channels, question_every=Limits.every) as bot,
    ):
        await asyncio.sleep(2.5)  # the first heartbeats (discord.py jitters the first)
        bot.lag.clear()
        beats_from = len(fake.heartbeats)
        t0 = time.monotonic()
        for q in qs:
            q.asked_at = time.monotonic()
            await ask(fake, q)
            by_message[q.message_ids[-1]] = q
        seen = 0
        while time.monotonic() - t0 < limit_s and any(q.answered_at is None for q in qs):
            replies = fake.sent("POST", r"/channels/\d+/messages")
            for rec in replies[seen:]:
                asked = by_message.get(replied_to(rec) or "")
                if asked is None or asked.answered_at is not None:
                    continue
                asked.pending = False
                wait = WAIT.search(rec.json.get("content", ""))
                if asked.first_reply is None:  # "answered", or why it had to wait
                    asked.first_reply = rec.json["content"].split(":")[0] if wait else "answered"
                if wait is None:
                    asked.answered_at = rec.at
                    continue
                retries.append(asyncio.create_task(retry(fake, asked, wait, by_message)))
            seen = len(replies)
            await asyncio.sleep(0.05)
        wall = time.monotonic() - t0
        beats = [t for shard, t in fake.heartbeats[beats_from:] if shard == 0]
        lags = list(bot.lag.samples)
        for task in retries:
            task.cancel()
    return summary(qs, beats, lags, wall)


async def retry(
    fake: Any, q: Question, wait: re.Match[str], by_message: dict[str, Question]
) -> None:
    """Ask again after the N s the bot said; told to wait for one's own previous question, ask
    again once it is answered (as a person would)."""
    if wait.group(1):
        await asyncio.sleep(float(wait.group(1)))
    else:  # one at a time, in the order they were told to wait
        mine = {id(o): o for o in by_message.values() if o.user == q.user}.values()
        q.turn = 1 + max(o.turn for o in mine)
        while any(o.pending for o in mine) or any(
            0 < o.turn < q.turn and o.answered_at is None for o in mine
        ):
            await asyncio.sleep(0.1)
        q.turn = 0
    await ask(fake, q)
    by_message[q.message_ids[-1]] = q


def summary(
    qs: list[Question], beats: list[float], lags: list[float], wall: float
) -> dict[str, Any]:
    answered = [q.answered_at - q.asked_at for q in qs if q.answered_at is not None]
    first_answers = [
        q.answered_at - q.asked_at for q in qs if q.first_reply == "answered" and q.answered_at
    ]
    gaps = [b - a for a, b in zip(beats, beats[1:], strict=False)]
    return {
        "questions": len(qs),
        "first_reply": dict(Counter(q.first_reply or "none" for q in qs)),
        "answered_in_the_end": len(answered),
        "not_answered": [q.text for q in qs if q.answered_at is None][:5],
        "asks_in_all": sum(q.tries for q in qs),
        "first_try_answer_p50_s": round(statistics.median(first_answers), 2)
        if first_answers
        else None,
        "first_try_answer_p95_s": round(percentile(first_answers, 95), 2)
        if first_answers
        else None,
        "answer_p50_s": round(statistics.median(answered), 2) if answered else None,
        "answer_p95_s": round(percentile(answered, 95), 2) if answered else None,
        "heartbeats": len(beats),
        "heartbeat_max_gap_s": round(max(gaps), 2) if gaps else None,
        "missed_heartbeats": sum(g > 1.5 for g in gaps),
        "loop_lag_p50_ms": round(percentile(lags, 50) * 1000, 1),
        "loop_lag_p99_ms": round(percentile(lags, 99) * 1000, 1),
        "loop_lag_max_ms": round(max(lags) * 1000, 1) if lags else None,
        "wall_s": round(wall, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--index", type=Path, default=RESULTS / "news3k", help="a Revue data dir")
    ap.add_argument("--news", type=Path, default=NEWS, help="headlines asked as questions")
    ap.add_argument("--questions", type=int, nargs="+", default=[50, 200])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--channels", type=int, default=5)
    ap.add_argument("--limit", type=float, default=600, help="seconds before giving up a run")
    args = ap.parse_args()
    require(args.index / "revue.db")
    from index.engine import Revue
    from index.settings import Settings

    scratch = RESULTS / "load-scratch"  # the bot writes its answer log (state.db) here
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(args.index, scratch, ignore=shutil.ignore_patterns("index.lock", "state.db*"))
    engine = Revue(Settings(data_dir=scratch, writer="none"))
    engine.ask("Pourquoi OpenAI a-t-il mis la publicité en pause ?")  # models loaded first
    out = {}
    for count in args.questions:
        qs = questions(count, args.users, args.channels, args.news)
        out[str(count)] = asyncio.run(run_load(engine, qs, args.limit))
        print(json.dumps({count: out[str(count)]}, ensure_ascii=False), flush=True)
    engine.close()
    (RESULTS / "load.json").write_text(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
