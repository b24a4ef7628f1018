"""``revue bot`` and ``revue run`` as users start them: a real process against the fake Discord."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.runner import INTENT_HELP
from cli.main import cli
from tests.conftest import ROOT
from tests.deadlines import HANG
from tests.fake_discord import BOT_ID, FakeDiscord, user
from tests.fake_llm import FakeLLM, Reply
from tests.settle import until
from tests.test_bot import MESSAGES, field_text, run

pytestmark = pytest.mark.model  # starts or loads the real embedding model

ALICE = user(1001, "alice")


def bot_env(fake: FakeDiscord, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REVUE_", "DISCORD_"))}
    env.update(
        DISCORD_TOKEN="fake-token",
        DISCORD_API_BASE=fake.api_base,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        REVUE_DATA_DIR=str(data_dir),
        HF_HUB_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=str(ROOT),
    )
    return env


def revue() -> list[str]:
    """The installed ``revue`` script (``make install``), else the same entry point via -m."""
    script = Path(sys.executable).with_name("revue")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


async def start(
    fake: FakeDiscord, data_dir: Path, cwd: Path, more: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *revue(),
        "bot",
        cwd=cwd,
        env=bot_env(fake, data_dir) | (more or {}),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def test_revue_bot_process_answers_and_exits_0_on_sigterm(seed_engine, tmp_path):
    async def scenario() -> tuple[int, bytes, Any]:
        async with FakeDiscord() as fake:
            proc = await start(fake, seed_engine.data_dir, tmp_path)
            try:
                await asyncio.wait_for(fake.ready.wait(), HANG)
                await fake.send_message(f"<@{BOT_ID}> Who is Nick Turley?", author=ALICE)
                (reply,) = await fake.wait_for("POST", MESSAGES)
                proc.send_signal(signal.SIGTERM)
                _, err = await asyncio.wait_for(proc.communicate(), HANG)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            assert fake.unknown == []
            return proc.returncode or 0, err, reply

    code, err, reply = run(scenario())
    assert code == 0, err.decode()
    assert "Nick Turley" in field_text(reply.json)
    assert b"fake-token" not in err and b"Traceback" not in err


def test_sigterm_while_an_answer_is_written_exits_without_waiting_for_the_writer(
    seed_engine, tmp_path
):
    """The writer's reply would come after the test's deadline: a stop that waited for it (as
    Python waits for busy worker threads at exit) would outlast `docker stop`'s 10 s."""
    with FakeLLM(Reply("Never sent [1].", delay=3 * HANG)) as llm:

        async def scenario() -> tuple[int, bytes]:
            async with FakeDiscord() as fake:
                env = {"REVUE_LLM_URL": llm.url, "REVUE_WRITER": "endpoint"}
                proc = await start(fake, seed_engine.data_dir, tmp_path, env)
                try:
                    await asyncio.wait_for(fake.ready.wait(), HANG)
                    await fake.send_message(f"<@{BOT_ID}> Who is Nick Turley?", author=ALICE)
                    await fake.wait_for("POST", MESSAGES)
                    await until(lambda: llm.writes, "the writer asked")
                    proc.send_signal(signal.SIGTERM)
                    _, err = await asyncio.wait_for(proc.communicate(), HANG)
                finally:
                    if proc.returncode is None:
                        proc.kill()
                        await proc.wait()
                return proc.returncode or 0, err

        code, err = run(scenario())
    assert code == 0, err.decode()
    assert b"not waiting for 1 answer(s) still being read or written" in err
    assert b"Traceback" not in err


def test_a_taken_metrics_port_is_one_sentence_naming_the_setting(seed_engine, tmp_path):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]

        async def scenario() -> tuple[int, str]:
            async with FakeDiscord() as fake:
                more = {"REVUE_METRICS_PORT": str(port)}
                proc = await start(fake, seed_engine.data_dir, tmp_path, more)
                _, err = await asyncio.wait_for(proc.communicate(), HANG)
                return proc.returncode or 0, err.decode()

        code, err = run(scenario())
    assert code == 1
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(f"revue: REVUE_METRICS_PORT={port}: cannot serve metrics on 0.0.0.0:{port} (")
    )
    assert "Traceback" not in err


def test_missing_message_content_intent_is_one_sentence(seed_engine, tmp_path):
    async def scenario() -> tuple[int, str]:
        async with FakeDiscord() as fake:
            fake.reject_intents = True
            proc = await start(fake, seed_engine.data_dir, tmp_path)
            _, err = await asyncio.wait_for(proc.communicate(), HANG)
            return proc.returncode or 0, err.decode()

    code, err = run(scenario())
    assert code == 1
    assert err.strip().splitlines()[-1] == f"revue: {INTENT_HELP}"
    assert "Message Content Intent" in INTENT_HELP and "Developer Portal" in INTENT_HELP
    assert "Traceback" not in err


def test_revue_run_without_a_token_says_why_and_answers_at_the_prompt(seed_engine, monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", "")  # empty: wins over a developer's .env
    monkeypatch.chdir(ROOT)  # the default corpus/ (already indexed: nothing to embed)
    result = CliRunner().invoke(cli, ["run"], obj=seed_engine, input="Who is Nick Turley?\n")
    assert result.exit_code == 0, result.output
    assert "DISCORD_TOKEN is not set" in result.output
    assert "Nick Turley, responsable de ChatGPT" in result.output


def test_revue_bot_without_a_token_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("DISCORD_TOKEN", "")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["bot"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("revue: DISCORD_TOKEN is not set")
    assert len(result.output.strip().splitlines()) == 1
