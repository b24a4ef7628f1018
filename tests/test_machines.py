"""Several machines, simulated: two ``revue bot`` processes, each with its own empty directory
and no file in common, answer from one PostgreSQL over TCP while a third process indexes a new
article; both then answer from it. The database then goes away: each question gets one clear
line, no process crashes, and both answer again once it is back (real model, real PostgreSQL).
"""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.conftest import write
from tests.fake_discord import FakeDiscord
from tests.pg import TemporaryPostgres
from tests.test_processes import (
    ERROR,
    NEW_ANSWER,
    NEW_ARTICLE,
    NEW_QUESTION,
    SEED_QUESTIONS,
    TIMEOUT,
    Bot,
    clean_env,
    start_bot,
    through_a_reindex,
)

DOWN = "can't reach my database"  # bot/errors.py's sentence for DatabaseUnavailable
LOCAL_FILES = ("revue.db", "vectors-", "index.lock")  # what the embedded index would write


async def through_an_outage(bots: list[Bot], server: TemporaryPostgres) -> list[str]:
    server.stop()
    down = [await b.ask(SEED_QUESTIONS[0][0]) for b in bots]
    server.restart()
    for b in bots:
        await b.ask(SEED_QUESTIONS[1][0])
    return down


@pytest.mark.model  # three processes load the real embedding model
@pytest.mark.slow
def test_two_bots_on_two_machines_answer_from_one_database_through_a_reindex_and_an_outage(
    seed_engine, tmp_path
):
    server = TemporaryPostgres.start()  # its own: this test stops it
    try:
        url = server.database()
        seed_engine.migrate_to(url)
        machines = [tmp_path / name for name in ("a", "b", "indexer")]
        for m in machines:
            m.mkdir()
        new_corpus = write(
            machines[2] / "new" / "phare.jsonl", json.dumps(NEW_ARTICLE, ensure_ascii=False) + "\n"
        ).parent
        logs: dict[str, str] = {}

        async def scenario() -> tuple[list[Bot], list[str]]:
            async with FakeDiscord() as fake_a, FakeDiscord() as fake_b:
                bots = [
                    await start_bot(name, fake, m / "data", m, REVUE_DATABASE_URL=url)
                    for name, fake, m in (("a", fake_a, machines[0]), ("b", fake_b, machines[1]))
                ]
                try:
                    ready = (asyncio.wait_for(b.fake.ready.wait(), TIMEOUT) for b in bots)
                    await asyncio.gather(*ready)
                    indexer = clean_env(machines[2] / "data", REVUE_DATABASE_URL=url)
                    await through_a_reindex(bots, machines[2], indexer, new_corpus)
                    down = await through_an_outage(bots, server)
                finally:
                    for b in bots:
                        logs[b.name] = await b.stop()
                assert fake_a.unknown == [] and fake_b.unknown == []
                return bots, down

        bots, down = asyncio.run(asyncio.wait_for(scenario(), 480))
    finally:
        server.remove()

    expected = dict(SEED_QUESTIONS)
    for b in bots:
        log = logs[b.name]
        assert "Traceback" not in log, f"bot {b.name}:\n{log[-3000:]}"
        assert b.proc.returncode == 0, f"bot {b.name} exited {b.proc.returncode}:\n{log[-3000:]}"
        assert any(indexing for _, _, indexing in b.asked), f"bot {b.name}: none during the index"
        replies = [(q, r) for q, r, _ in b.asked]
        reindex_end = next(i for i, (q, _) in enumerate(replies[1:], 1) if q == NEW_QUESTION)
        for question, reply in replies[1:reindex_end]:  # the stream: every one answered
            assert ERROR not in reply and expected[question] in reply, f"{question!r} -> {reply!r}"
        assert NEW_ANSWER in replies[reindex_end][1], f"bot {b.name}: {replies[reindex_end]!r}"
        assert expected[replies[-1][0]] in replies[-1][1]  # answered again once it is back
    assert all(DOWN in reply and ERROR not in reply for reply in down), down
    for m in machines:  # no index file on any machine: everything is in the database
        written = [p.name for p in m.rglob("*") if p.name.startswith(LOCAL_FILES)]
        assert written == [], f"{m.name}: {written}"
