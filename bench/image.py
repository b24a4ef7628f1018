"""The container image, measured (`make image` first; podman, as `make image-test` runs it):

- its size, layer by layer;
- the build time, cold (no cache; the local base already made) and after a code-only change
  (a line added to bot/, the dependencies and the models cached);
- the time from `podman run` to the bot's first answer through the fake Discord;
- the bot's memory at rest (ready, models loaded) and after N questions.

    .venv/bin/python bench/image.py [--questions 50] [--skip-builds]

The questions are the seed questions of ../shared/eval (cycled), or a built-in few when that
is missing. Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_discord import BOT_ID, FakeDiscord, user  # noqa: E402
from tests.image.podman import Container, bot_env, free_port, podman, revue  # noqa: E402
from tests.test_bot_health import scrape, value  # noqa: E402

SEEDS = ROOT.parent / "shared" / "eval" / "seed_questions.jsonl"
FEW = ["Why did OpenAI pause advertising?", "Who is Nick Turley?", "Qu'est-ce que Pulse ?"]
MESSAGES = r"/channels/\d+/messages$"


def layers(image: str) -> list[tuple[int, str]]:
    rows = json.loads(podman("history", "--format", "json", image))
    return [(int(r.get("size") or r.get("Size") or 0), r.get("CreatedBy", "")) for r in rows]


def build_seconds(context: Path, no_cache: bool) -> float:
    started = time.monotonic()
    env = {"IMAGE": "revue-bench"} | ({"BUILD_ARGS": "--no-cache"} if no_cache else {})
    subprocess.run(
        [str(context / "container" / "build.sh")],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


def builds() -> tuple[float, float]:
    """Cold, then after a code-only change, from a copy of the committed tree."""
    with tempfile.TemporaryDirectory() as tmp:
        context = Path(tmp)
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        cold = build_seconds(context, no_cache=True)
        with (context / "bot" / "__init__.py").open("a") as f:
            f.write(f"# a code-only change, {time.time()}\n")
        warm = build_seconds(context, no_cache=False)
    return cold, warm


def questions(count: int) -> list[str]:
    asked = [json.loads(line)["question"] for line in SEEDS.open()] if SEEDS.exists() else FEW
    return [asked[n % len(asked)] for n in range(count)]


def rss_mb(bot: Container) -> float:
    """The bot process's resident memory (the largest process in the container), in MB."""
    out = bot.exec("sh", "-c", "grep -h VmRSS /proc/[0-9]*/status").stdout
    return max(int(line.split()[1]) for line in out.splitlines()) / 1024


async def run_bot(image: str, volume: str, count: int) -> dict[str, float]:
    port = free_port()
    async with FakeDiscord() as fake:
        env = bot_env(fake, port, REVUE_QUESTION_EVERY="0")
        started = time.monotonic()
        with Container(image, volume, env) as bot:
            await fake.wait_for("PUT", r"/applications/\d+/commands", timeout=600)
            ready = time.monotonic() - started
            asked = questions(count)
            await fake.send_message(f"<@{BOT_ID}> {asked[0]}", author=user(5000, "first"))
            await fake.wait_for("POST", MESSAGES, timeout=600)
            first = time.monotonic() - started
            await _finished(port, 1)
            rest = rss_mb(bot)
            for n, question in enumerate(asked[1:], start=2):
                await fake.send_message(f"<@{BOT_ID}> {question}", author=user(5000 + n, "u"))
                await fake.wait_for("POST", MESSAGES, count=n, timeout=600)
            await _finished(port, count)
            after = rss_mb(bot)
            seconds = time.monotonic() - started - first
            bot.stop()
    return {"ready": ready, "first": first, "rest": rest, "after": after, "seconds": seconds}


async def _finished(port: int, count: int) -> None:
    """Until ``count`` answers are final (read, written): the metrics count them then."""
    while True:
        samples = await asyncio.to_thread(scrape, port)
        done = sum(
            v
            for (n, _), v in samples.items()
            if n in ("revue_answers_total", "revue_declines_total")
        )
        if done >= count and value(samples, "revue_writing_backlog") == 0:
            return
        await asyncio.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default="revue")
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--skip-builds", action="store_true")
    args = parser.parse_args()
    print(f"## The image `{args.image}`\n\n| layer | size |\n|---|---:|")
    total = 0
    for size, created in layers(args.image):
        total += size
        if size > 1_000_000:
            print(f"| `{created.removeprefix('/bin/sh -c ')[:90]}` | {size / 1e6:,.0f} MB |")
    print(f"| **all** | **{total / 1e6:,.0f} MB** |\n")
    volume = f"revue-bench-{int(time.time())}"
    podman("volume", "create", volume)
    try:
        started = time.monotonic()
        revue(args.image, "index", "--corpus", "corpus", volume=volume)
        took = time.monotonic() - started
        print(f"- `revue index` of the bundled corpus in a new container: {took:.1f} s")
        got = asyncio.run(run_bot(args.image, volume, args.questions))
    finally:
        podman("volume", "rm", "--force", volume)
    print(f"- `podman run` to commands synced (logged in): {got['ready']:.1f} s")
    print(f"- `podman run` to the first answer sent: {got['first']:.1f} s")
    print(f"- bot RSS at rest (first answer read): {got['rest']:,.0f} MB")
    print(f"- after {args.questions} questions: {got['after']:,.0f} MB ({got['seconds']:.0f} s)")
    if not args.skip_builds:
        cold, warm = builds()
        print(f"- build, cold (no cache, base present): {cold:.0f} s")
        print(f"- build after a code-only change: {warm:.0f} s")


if __name__ == "__main__":
    main()
