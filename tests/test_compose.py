"""``compose.yaml`` as deployed: every gateway shard answered by exactly one bot process, every
process on the one database, and commands that exist."""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import ROOT


def services() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]


def test_each_shard_is_run_by_exactly_one_bot():
    bots = {name: s for name, s in services().items() if s.get("command") == ["bot"]}
    assert len(bots) >= 2
    counts = {int(s["environment"]["REVUE_SHARDS"]) for s in bots.values()}
    assert len(counts) == 1  # every bot agrees on the number of shards
    shards = [int(i) for s in bots.values() for i in s["environment"]["REVUE_SHARD_IDS"].split(",")]
    assert sorted(shards) == list(range(counts.pop()))


def test_every_revue_process_uses_the_database_and_a_real_command():
    for name, s in services().items():
        command = s.get("command")
        if s.get("image") != "revue":
            continue
        assert s["environment"]["REVUE_DATABASE_URL"].startswith("postgresql://"), name
        assert "db" in s["depends_on"], name
        # what a poll saves is seen by whoever indexes next (README, Many processes)
        assert "feeds:/data/feeds" in s["volumes"], name
        # the image's entry point is `revue`: the command is its arguments
        out = CliRunner().invoke(cli, [command[0], "--help"])
        assert out.exit_code == 0, f"{name}: {out.output}"
