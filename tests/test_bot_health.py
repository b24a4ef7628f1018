"""The bot's health and metrics as an operator sees them: the Prometheus endpoint scraped over
HTTP while the real discord.py client answers through the fake Discord, and ``revue health``
reading the pulse the bot writes."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from bot.health import STALE_AFTER, Pulse, read_pulse
from cli.main import cli
from tests.fake_discord import GUILD_ID, FakeDiscord, user
from tests.settle import until
from tests.test_bot import (  # noqa: F401 - the fixture puts discord.py's endpoints back
    ALICE,
    BOB,
    CALLBACK,
    FOLLOWUP,
    MESSAGES,
    _restore_endpoints,
    run,
    running_bot,
)

METRICS = {"metrics_port": 0, "metrics_host": "127.0.0.1"}
CAROL = user(1004, "carol")


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample at the endpoint: (name, labels) -> value."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def outcomes(samples: dict, server: str) -> float:
    """Questions with an outcome: answered, declined, refused (any reason) or failed."""
    names = {"revue_answers_total", "revue_declines_total", "revue_failures_total"}
    names.add("revue_refusals_total")
    return sum(
        v for (n, labels), v in samples.items() if n in names and ("server", server) in labels
    )


def test_every_question_is_counted_once_with_its_outcome(seed_index):
    server = str(GUILD_ID)

    async def scenario() -> tuple[dict, dict]:
        async with FakeDiscord() as fake, running_bot(seed_index, fake, **METRICS) as bot:
            port = bot.metrics.port
            assert port
            before = await asyncio.to_thread(scrape, port)
            await fake.send_message("Who is Nick Turley?", author=ALICE)
            await fake.wait_for("POST", MESSAGES)
            await fake.send_message("Who won the 2018 football World Cup?", author=BOB)
            await fake.wait_for("POST", MESSAGES, count=2)
            await fake.send_message("x" * 1200, author=BOB)  # too long: refused as invalid
            await fake.wait_for("POST", MESSAGES, count=3)
            await fake.slash("ask", {"question": "Who is Nick Turley?"}, author=CAROL)
            await fake.wait_for("POST", FOLLOWUP)
            await fake.slash("ask", {"question": "Nick", "since": "someday"}, author=CAROL)
            await fake.wait_for("POST", CALLBACK, count=2)

            def counted() -> bool:
                return bot.metrics.answers.labels(server)._value.get() >= 2

            await until(counted, "the /ask answer counted")
            after = await asyncio.to_thread(scrape, port)
        return before, after

    before, after = run(scenario())
    assert value(before, "revue_questions_total", server=server) == 0
    assert value(after, "revue_questions_total", server=server) == 5
    assert outcomes(after, server) == 5
    assert value(after, "revue_answers_total", server=server) == 2
    assert value(after, "revue_declines_total", server=server) == 1
    assert value(after, "revue_refusals_total", server=server, why="invalid") == 2
    assert value(after, "revue_stage_seconds_count", stage="draft") == 3
    assert value(after, "revue_stage_seconds_count", stage="send") == 3
    assert value(after, "revue_connected") == 1
    assert value(after, "revue_queue_depth") == 0
    assert value(after, "revue_index_articles") == 2
    assert value(after, "revue_index_generation") >= 1


def test_a_refusal_is_counted_with_its_reason(seed_index):
    server = str(GUILD_ID)

    async def scenario() -> dict:
        limits = {"question_burst": 1, "question_every": 60, **METRICS}
        async with FakeDiscord() as fake, running_bot(seed_index, fake, **limits) as bot:
            await fake.send_message("Who is Nick Turley?", author=ALICE)
            await fake.wait_for("POST", MESSAGES)
            await fake.send_message("And Sam Altman?", author=ALICE)
            await fake.wait_for("POST", MESSAGES, count=2)
            assert bot.metrics.port
            return await asyncio.to_thread(scrape, bot.metrics.port)

    after = run(scenario())
    assert value(after, "revue_questions_total", server=server) == 2
    assert value(after, "revue_refusals_total", server=server, why="rate") == 1


def test_revue_health_says_healthy_while_connected_and_why_not_after(seed_index, tmp_path):
    pulse = tmp_path / "pulse.json"
    env = {"REVUE_HEALTH_FILE": str(pulse), "REVUE_DATA_DIR": str(tmp_path)}

    def health() -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["health"], env=env)
        return result.exit_code, result.output

    assert health() == (1, f"revue: no pulse at {pulse}: the bot has not started (yet)\n")

    async def scenario() -> tuple[int, str]:
        async with FakeDiscord() as fake, running_bot(seed_index, fake, health_file=pulse):
            await until(
                lambda: pulse.exists() and json.loads(pulse.read_text())["connected"], "a pulse"
            )
            return await asyncio.to_thread(health)

    code, said = run(scenario())
    assert code == 0 and said.startswith("healthy: connected"), said
    # Closed on purpose: unhealthy at once, without waiting for the pulse to go stale.
    code, said = health()
    assert code == 1 and "not connected to Discord" in said
    # A pulse that stopped (a stuck loop, a killed process) is unhealthy once stale.
    Pulse(time.time() - STALE_AFTER - 1, True, 0.0, 0.0).write(pulse)
    code, said = health()
    assert code == 1 and "no pulse for" in said
    Pulse(time.time(), True, 0.0, 301.0).write(pulse)
    assert "a question has waited 301 s" in health()[1]
    pulse.write_text("{not json")
    code, said = health()
    assert code == 1 and said.startswith(f"revue: {pulse} is not a pulse the bot wrote (")


def test_a_bot_whose_questions_keep_failing_is_unhealthy(seed_index, tmp_path, monkeypatch):
    pulse = tmp_path / "pulse.json"

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the engine is broken")

    monkeypatch.setattr(seed_index, "draft", broken)

    async def scenario() -> tuple[float, str | None]:
        options = {**METRICS, "health_file": pulse, "question_every": 0}
        async with FakeDiscord() as fake, running_bot(seed_index, fake, **options) as bot:
            for n in range(3):
                await fake.send_message(f"Who is Nick Turley? ({n})", author=user(2000 + n, "u"))
                await fake.wait_for("POST", MESSAGES, count=n + 1)
            assert bot.metrics.port
            failures = value(
                await asyncio.to_thread(scrape, bot.metrics.port),
                "revue_failures_total",
                server=str(GUILD_ID),
            )
            bot._write_pulse(bot.connected())
            return failures, read_pulse(pulse).problem(time.time())

    failures, problem = run(scenario())
    assert failures == 3
    assert problem == "the last 3 questions failed"
