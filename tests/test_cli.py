"""The command line: its JSON contract and every error path (one line on stderr, no traceback)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.conftest import CORPUS, ROOT, write
from tests.deadlines import HANG


def run(*args, data_dir, stdin=None, timeout=HANG):
    env = {**os.environ, "REVUE_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def invoke(engine, *args):
    return CliRunner().invoke(cli, list(args), obj=engine, catch_exceptions=False)


def assert_one_line_error(result, *words):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("revue: "), result.stderr
    for w in words:
        assert w in lines[0]


# These start `revue` as a process (its entry point turns errors into one line): ~1 s each.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "words"),
    [("", ["empty"]), ("   \n\t ", ["empty"]), ("why " * 400, ["1599", "1000"])],
)
def test_bad_questions(tmp_path, question, words):
    assert_one_line_error(run("ask", question, data_dir=tmp_path), *words)


@pytest.mark.slow
def test_missing_index(tmp_path):
    assert_one_line_error(run("ask", "Who is Nick Turley?", data_dir=tmp_path), "revue index")
    assert_one_line_error(run("sources", data_dir=tmp_path), "revue index")


@pytest.mark.slow
def test_unreadable_corpus_path(tmp_path):
    result = run("index", "--corpus", str(tmp_path / "nowhere"), data_dir=tmp_path)
    assert_one_line_error(result, "nowhere")


def test_a_duplicate_id_is_one_line_naming_both_and_the_first_is_indexed(tmp_path, make_engine):
    """In this process with the fake encoder (as a process, it spent 12 s loading the model)."""
    a = write(tmp_path / "c" / "a.md", "---\nid: x\n---\nUn premier article assez long.\n")
    b = write(tmp_path / "c" / "b.md", "---\nid: x\n---\nUn second article assez long.\n")
    engine = make_engine()
    result = invoke(engine, "index", "--corpus", str(tmp_path / "c"))
    assert result.exit_code == 0, result.stderr
    assert [s.id for s in engine.sources()] == ["x"] and "premier" in engine.article("x").text
    assert result.stderr.splitlines() == [f"skipped {b}: duplicate id 'x': already read from {a}"]
    assert "1 articles" in result.stdout and "1 skipped" in result.stdout


@pytest.mark.model
def test_index_then_ask_end_to_end(tmp_path):
    data = tmp_path / "data"
    result = run("index", "--corpus", str(CORPUS), data_dir=data)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 and "2 added" in result.stdout
    again = run("index", "--corpus", str(CORPUS), data_dir=data)
    assert "0 chunks embedded" in again.stdout
    asked = run("ask", "Why did OpenAI pause advertising?", "--json", data_dir=data)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert set(answer) == {
        "id",
        "question",
        "answer",
        "abstained",
        "as_of",
        "citations",
        "written",
        "filters",
        "coverage",
        "nearest",
    }
    assert answer["coverage"]["articles"] == 2 and answer["nearest"] is None  # it answered
    assert answer["written"] is None  # no writer is set up in the tests' environment
    assert answer["filters"] == {"outlet": None, "since": None, "until": None}
    assert answer["citations"], answer
    for c in answer["citations"]:
        assert set(c) == {
            "n",
            "article_id",
            "title",
            "source",
            "date",
            "url",
            "quote",
            "start",
            "end",
            "score",
            "also_in",  # wire copies of the cited article (issue 4)
            "attribution",  # who speaks in the quote (issue 25)
            "first",  # the first article stating its fact (issue 25)
            "gloss",  # the quote's checked translation (issue 25; None without a model)
        }
        assert c["gloss"] is None
    assert answer["as_of"] is None  # the seed articles are undated


def test_ask_batch_gives_one_line_per_question(seed_index, tmp_path):
    batch = write(
        tmp_path / "q.jsonl",
        "\n".join(
            [
                json.dumps({"id": "q1", "question": "Who is Nick Turley?"}),
                "not json",
                json.dumps({"id": "q3", "question": "   "}),
                json.dumps({"id": "q4", "question": "Quand OpenAI prévoit-il d'être rentable ?"}),
            ]
        )
        + "\n",
    )
    result = invoke(seed_index, "ask", "--batch", str(batch), "--json")
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["q1", None, "q3", "q4"]
    assert "error" in lines[1] and "not JSON" in lines[1]["error"]
    assert "empty" in lines[2]["error"]
    assert lines[3]["question"].startswith("Quand") and "abstained" in lines[3]
    assert result.exit_code == 1  # some lines failed, and each said why


def test_search_json_and_batch(seed_index, tmp_path):
    result = invoke(seed_index, "search", "Gemini utilisateurs", "--json", "--k", "3")
    hits = json.loads(result.stdout)["hits"]
    assert 0 < len(hits) <= 3
    assert set(hits[0]) == {"article_id", "score", "text", "start", "end"}  # no storage ids
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    batch = write(tmp_path / "s.jsonl", json.dumps({"id": 7, "query": "Nick Turley"}) + "\n")
    out = json.loads(
        invoke(seed_index, "search", "--batch", str(batch), "--k", "2", "--json").stdout
    )
    assert out["id"] == 7 and len(out["hits"]) == 2


def test_sources(seed_index):
    rows = [json.loads(x) for x in invoke(seed_index, "sources", "--json").stdout.splitlines()]
    assert {r["source"] for r in rows} == {"AFP", "Institut des Arts Numériques"}
    assert all(r["chunks"] > 0 for r in rows)
    assert set(rows[0]) == {"id", "title", "source", "date", "url", "chunks", "copies"}


@pytest.mark.model
def test_index_shows_progress_bars_on_a_terminal_and_nothing_otherwise(tmp_path):
    """stderr on a pseudo-terminal gets tqdm bars for each stage; the summary line is stdout."""
    import fcntl
    import struct
    import termios
    import threading

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # 120 columns
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    env = {**os.environ, "REVUE_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "index", "--corpus", str(CORPUS)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
        timeout=HANG,
    )
    os.close(slave)
    reader.join(10)
    os.close(master)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert done.returncode == 0
    for stage in ("parse", "chunk", "embed", "write"):
        assert stage in shown, shown
    assert "chunk/s" in shown or "it/s" in shown or "%" in shown
    (line,) = done.stdout.splitlines()
    assert "2 added" in line and "groups of wire copies" in line and line.endswith(" s")

    quiet = run("index", "--corpus", str(CORPUS), data_dir=tmp_path / "quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""  # not a terminal: no bars


def documented_commands() -> dict[str, str]:
    """``revue`` sub-commands named in the README's command-line table, with their row."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `revue (\w+)[^`]*` \|(.*)\|$", readme, flags=re.MULTILINE)
    return {name: text for name, text in rows}


def test_every_command_is_in_the_readme_and_answers_help():
    documented = documented_commands()
    assert set(documented) == set(cli.commands), "README command table and `revue` disagree"
    for name in cli.commands:
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert f"Usage: revue {name}" in result.output or f"Usage: cli {name}" in result.output


def test_the_documented_options_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, options in re.findall(r"^\| `revue (\w+) ([^`]*)` \|", readme, flags=re.MULTILINE):
        known = {opt for p in cli.commands[name].params for opt in [*p.opts, *p.secondary_opts]}
        for option in re.findall(r"--[\w-]+", options):
            assert option in known, f"README documents {option} for `revue {name}`"
