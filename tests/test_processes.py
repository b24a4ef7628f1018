"""Several processes on one data directory: readers answer while another process reindexes.

What the generation swap promises (``index/storage/layout.py``, ``staging.py``, ``Store.snapshot``):
a reader never sees a half-written index, every read of one question sees one generation, and a
reader picks up a new generation at its next question, without a restart.

- two real ``revue bot`` processes answer a stream of questions while ``revue index`` adds an
  article, then both answer from it (real model; each bot has its own fake Discord, since the
  fake holds one gateway session);
- two reader processes ask in a loop while this process commits 20 generations (fake encoder);
- several processes open a fresh ``state.db`` at once, as bots do when they become ready.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
from asyncio.subprocess import DEVNULL
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, ROOT, write
from tests.deadlines import HANG
from tests.fake_discord import BOT_ID, FakeDiscord, Recorded, user

MESSAGES = r"/channels/\d+/messages"
ERROR = "Something went wrong"  # bot/errors.py's GENERIC sentence begins so
# Questions the seed articles answer, with words each answer's quotes hold.
SEED_QUESTIONS = [
    ("Who is Nick Turley?", "Nick Turley"),
    ("Why did OpenAI pause advertising?", "publicité"),
    ("Combien d'internautes utilisent ChatGPT chaque semaine ?", "ChatGPT"),
]
NEW_ARTICLE = {
    "id": "phare-cordouan-gardienne",
    "title": "Une nouvelle gardienne au phare de Cordouan",
    "source": "Test",
    "date": "2026-01-15",
    "text": "Le phare de Cordouan, au large de l'estuaire de la Gironde, a accueilli mardi sa "
    "nouvelle gardienne : Mathilde Roussel, 34 ans, ancienne marin-pêcheuse de Royan. Elle "
    "vivra sur le phare six mois par an et fera visiter le monument aux 25 000 visiteurs "
    "attendus cet été.",
}
NEW_QUESTION, NEW_ANSWER = (
    "Qui est la nouvelle gardienne du phare de Cordouan ?",
    "Mathilde Roussel",
)
# Idle, an answer takes ~1 s and the whole test ~1 min; with three model loads and other jobs
# on the 2 cores, answers took up to 17 s and `revue index` 130 s: each step waits HANG.
TIMEOUT = HANG


def copy_data_dir(src: Path, dst: Path) -> Path:
    """A consistent copy of a data directory another engine may have open: SQLite's backup for
    the database (its WAL may hold committed pages), the FAISS files as they are."""
    dst.mkdir(parents=True)
    for path in src.glob("vectors-*.faiss"):
        shutil.copy2(path, dst / path.name)
    source = sqlite3.connect(f"file:{src / 'revue.db'}?mode=ro", uri=True)
    target = sqlite3.connect(dst / "revue.db")
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return dst


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVUE_", "DISCORD_"))}
    env.update(
        REVUE_DATA_DIR=str(data_dir),
        REVUE_WRITER="none",  # quotes only: the embedded writer would be loaded in each process
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def bot_env(fake: FakeDiscord, data_dir: Path) -> dict[str, str]:
    return clean_env(
        data_dir,
        DISCORD_TOKEN="fake-token",
        DISCORD_API_BASE=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        REVUE_THREAD_WHEN_BUSY="0",  # answers stay in the channel however fast we ask
    )


def revue() -> list[str]:
    """The installed ``revue`` script, else the same entry point via -m."""
    script = Path(sys.executable).with_name("revue")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


def text_of(reply: Recorded) -> str:
    body = reply.json
    parts = [body.get("content") or ""]
    for embed in body.get("embeds", []):
        parts.append(embed.get("description") or "")
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
    return " ".join(parts)


@dataclass
class Bot:
    """One ``revue bot`` process and the fake Discord it is logged in to."""

    name: str
    fake: FakeDiscord
    proc: asyncio.subprocess.Process
    log: Path  # its stderr: a file, so that a chatty process never blocks on a full pipe
    asked: list[tuple[str, str, bool]] = field(default_factory=list)  # question, reply, indexing

    async def ask(self, question: str, indexing: bool = False) -> str:
        before = len(self.fake.sent("POST", MESSAGES))
        # A new asker each time: one user's questions are rate-limited (bot/limits.py).
        asker = user(2000 + len(self.asked), f"reader{len(self.asked)}")
        await self.fake.send_message(f"<@{BOT_ID}> {question}", author=asker)
        replies = await self.fake.wait_for("POST", MESSAGES, before + 1, timeout=TIMEOUT)
        reply = text_of(replies[before])
        self.asked.append((question, reply, indexing))
        return reply

    async def stop(self) -> str:
        """SIGTERM (the bot exits 0 on it), SIGKILL if it has not exited in time; its stderr."""
        if self.proc.returncode is None:
            self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), TIMEOUT)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
        return self.log.read_text(encoding="utf-8", errors="replace")


async def start_bot(name: str, fake: FakeDiscord, data_dir: Path, cwd: Path, **env: str) -> Bot:
    log = cwd / f"bot-{name}.log"
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            *revue(), "bot", cwd=cwd, env=bot_env(fake, data_dir) | env, stdout=DEVNULL, stderr=err
        )
    return Bot(name, fake, proc, log)


async def stream(bot: Bot, index: asyncio.subprocess.Process) -> None:
    """Seed questions, about one a second, while ``revue index`` runs, then two more (the
    pause leaves the indexer some of the 2 cores)."""
    n, after = 0, 0
    while after < 2:
        running = index.returncode is None
        await bot.ask(SEED_QUESTIONS[n % len(SEED_QUESTIONS)][0], indexing=running)
        n += 1
        after += not running
        await asyncio.sleep(1)


async def through_a_reindex(bots: list[Bot], cwd: Path, env: dict[str, str], new: Path) -> None:
    """Each bot asks the new article's question, then a stream of seed questions while
    ``revue index`` (in ``cwd``, with ``env``) adds the article, then the question again."""
    for b in bots:  # before the new article: its question is not answered from it
        assert NEW_ANSWER not in await b.ask(NEW_QUESTION)
    index = await asyncio.create_subprocess_exec(
        *revue(), "index", "--corpus", str(CORPUS), "--corpus", str(new),
        cwd=cwd, env=env, stdout=DEVNULL, stderr=asyncio.subprocess.PIPE,  # a few lines
    )  # fmt: skip
    streams = asyncio.gather(*(stream(b, index) for b in bots))
    try:
        _, err = await asyncio.wait_for(index.communicate(), TIMEOUT * 2)
        await asyncio.wait_for(streams, TIMEOUT)
    finally:
        streams.cancel()
        if index.returncode is None:
            index.kill()
            await index.wait()
    assert index.returncode == 0, err.decode()[-2000:]
    for b in bots:  # after it: answered from the new article, no restart
        await b.ask(NEW_QUESTION)


@pytest.mark.model  # the three processes load the real embedding model
def test_two_bot_processes_answer_through_a_reindex_and_both_see_the_new_article(
    seed_engine, tmp_path
):
    data = copy_data_dir(seed_engine.data_dir, tmp_path / "data")
    new_corpus = write(
        tmp_path / "new" / "phare.jsonl", json.dumps(NEW_ARTICLE, ensure_ascii=False) + "\n"
    ).parent
    errors: dict[str, str] = {}

    async def scenario() -> list[Bot]:
        async with FakeDiscord() as fake_a, FakeDiscord() as fake_b:
            bots = [
                await start_bot("a", fake_a, data, tmp_path),
                await start_bot("b", fake_b, data, tmp_path),
            ]
            try:
                await asyncio.gather(
                    *(asyncio.wait_for(b.fake.ready.wait(), TIMEOUT) for b in bots)
                )
                await through_a_reindex(bots, tmp_path, clean_env(data), new_corpus)
            finally:
                for b in bots:
                    errors[b.name] = await b.stop()
            assert fake_a.unknown == [] and fake_b.unknown == []
            return bots

    bots = asyncio.run(asyncio.wait_for(scenario(), 420))

    for b in bots:
        err = errors[b.name]
        assert "Traceback" not in err, f"bot {b.name}:\n{err[-3000:]}"
        assert b.proc.returncode == 0, f"bot {b.name} exited {b.proc.returncode}:\n{err[-3000:]}"
        assert any(indexing for _, _, indexing in b.asked), f"bot {b.name}: none during the index"
        expected = dict(SEED_QUESTIONS)
        for question, reply, _ in b.asked[1:-1]:  # the stream
            assert ERROR not in reply, f"bot {b.name}: {question!r} -> {reply!r}"
            assert expected[question] in reply, f"bot {b.name}: {question!r} -> {reply!r}"
        question, reply, _ = b.asked[-1]
        assert question == NEW_QUESTION and NEW_ANSWER in reply, f"bot {b.name}: {reply!r}"


# A reader process with the fake encoder: asks in a loop until the stop file appears, once more
# after it, then says what it saw as one JSON line.
READER = """
import json, sys
from pathlib import Path
from index.engine import Revue
from index.settings import Settings
from tests.conftest import HashEncoder, OverlapReader

data, stop = Path(sys.argv[1]), Path(sys.argv[2])
engine = Revue(Settings(data_dir=data), HashEncoder(), OverlapReader())  # no torch to import
asks, errors, generations = 0, [], set()
while True:
    last = stop.exists()
    try:
        engine.ask("Qui a voté le budget de la commune ?")
        engine.search("rénovation de la piscine Léo-Lagrange", k=3)
        generations.add(engine._index.generation)
    except Exception as exc:
        errors.append(repr(exc))
    asks += 1
    if asks == 1:
        print("ready", flush=True)
    if last:
        break
final = engine.search("budget de la piscine Léo-Lagrange à Nantes", k=1)[0].text
print(json.dumps({"asks": asks, "errors": errors[:5], "generations": len(generations),
                  "final": final}))
"""


GENERATIONS = 20


def corpus_at(folder: Path, n: int) -> str:
    """Generation ``n``'s corpus: a window of 20 short articles that moves by one each time (one
    added, one removed) and an article whose text changes; returns that article's text."""
    budget = f"Le conseil de Nantes a voté un budget de {n} millions pour la piscine Léo-Lagrange."
    rows = [
        {"id": f"commune-{j}", "source": "Test", "text": f"La commune {j} a voté son budget."}
        for j in range(n, n + 20)
    ] + [{"id": "budget", "source": "Test", "text": budget}]
    write(folder / "news.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    return budget


@pytest.mark.slow  # starts processes
def test_reader_processes_keep_answering_while_generations_are_committed(make_engine, tmp_path):
    """Before ``Store.snapshot``, 27 of 2,340 such questions failed (a chunk found before a
    commit, its article gone after it: KeyError); every question must now be answered."""
    corpus, stop = tmp_path / "corpus", tmp_path / "stop"
    writer = make_engine()
    corpus_at(corpus, 0)
    writer.index([corpus])
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(writer.data_dir), str(stop)],
            cwd=tmp_path,
            env=clean_env(writer.data_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for r in readers:  # both are asking before the first commit
            assert r.stdout is not None and r.stdout.readline().strip() == "ready"
        for n in range(1, GENERATIONS + 1):
            last = corpus_at(corpus, n)
            writer.index([corpus])
        stop.touch()
        outcomes = [r.communicate(timeout=HANG) for r in readers]
    finally:
        for r in readers:
            if r.poll() is None:
                r.kill()
    for out, err in outcomes:
        assert out.strip(), err[-3000:]
        seen = json.loads(out.strip().splitlines()[-1])
        assert seen["errors"] == [], err[-3000:]
        assert seen["generations"] > 1  # it did read while generations changed
        assert seen["final"] == last  # and reads the last one once it is there


def _open_states(folders: list[str], start: Any, results: Any) -> None:
    from index.storage.state import open_state

    for folder in folders:
        start.wait()  # all together, on each fresh folder
        try:
            open_state(Path(folder)).close()
            results.put("ok")
        except Exception as exc:
            results.put(repr(exc))


@pytest.mark.slow  # starts processes
def test_processes_opening_a_fresh_state_database_at_once_all_succeed(tmp_path):
    """Bots on one data directory open ``state.db`` when they become ready; on a fresh directory
    all but one failed, every time, before ``state_lock``."""
    ctx = multiprocessing.get_context("spawn")
    folders = [str(tmp_path / f"data-{n}") for n in range(5)]
    start, results = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_open_states, args=(folders, start, results)) for _ in "abc"]
    for p in procs:
        p.start()
    try:
        outcomes = [results.get(timeout=HANG) for _ in range(len(procs) * len(folders))]
    finally:
        for p in procs:
            p.join(timeout=HANG)
            if p.is_alive():
                p.kill()
    assert outcomes == ["ok"] * len(outcomes)
