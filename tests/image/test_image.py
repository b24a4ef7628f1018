"""The container image as a server admin runs it (``make image-test``; not part of ``make test``:
it needs podman and a built image, and takes minutes).

Every container runs with podman's runc runtime and the limits this kind of machine allows
(tests/image/podman.py). The CLI runs with no network at all; the bot with the host's network,
so that it reaches the fake Discord on the host's loopback.
"""

from __future__ import annotations

import asyncio
import json
import time

from index.ingest.corpus import load_corpus
from tests.conftest import CORPUS
from tests.fake_discord import BOT_ID, FakeDiscord, user
from tests.fake_feeds import FeedServer
from tests.image.podman import Container, bot_env, free_port, podman, revue
from tests.test_bot import MESSAGES, field_text, run
from tests.test_bot_health import scrape, value
from tests.test_feeds import item, items_at

FLAGSHIP = "Why did OpenAI pause advertising?"
ALICE = user(1001, "alice")


def test_the_image_runs_as_a_user_has_a_healthcheck_and_holds_no_cuda_nor_caches(image):
    (inspected,) = json.loads(podman("image", "inspect", image))
    assert inspected["Config"]["User"] == "revue"
    assert inspected["Healthcheck"]["Test"][-2:] == ["revue", "health"]  # an OCI build drops it
    assert revue(image, "id", "-u", entrypoint="").strip() != "0"
    # as root, to see every folder (a pip cache would be in /root/.cache)
    found = revue(
        image,
        "sh",
        "-c",
        "find / -xdev \\( -name 'libtorch_cuda*' -o -name 'libcudart*' -o -name 'libcublas*'"
        " -o -name 'libcudnn*' -o -name 'libnvidia*' -o -name 'libnccl*' -o -path '*/.cache/pip'"
        " -o -name '*.whl' \\) -not -path '/usr/share/python-wheels/*' -print; "
        "python -c 'import torch; print(\"cuda\", torch.version.cuda)'",
        entrypoint="",
        user="0",
    )
    assert found.split() == ["cuda", "None"]


def test_ask_answers_the_flagship_question_with_verbatim_quotes_and_no_network(image, volume):
    said = revue(image, "index", "--corpus", "corpus", volume=volume)
    assert "2 articles" in said and "2 added" in said
    answer = json.loads(revue(image, "ask", "--json", FLAGSHIP, volume=volume))
    texts = {a.id: a.text for a in load_corpus([CORPUS]).articles}
    assert not answer["abstained"] and answer["citations"]
    assert answer["citations"][0]["article_id"] == "institut-arts-numeriques-openai-code-rouge"
    for c in answer["citations"]:
        assert texts[c["article_id"]][c["start"] : c["end"]] == c["quote"]
    assert "publicité" in answer["citations"][0]["quote"]


def test_the_index_in_the_volume_survives_a_new_container_without_embedding(image, volume):
    revue(image, "index", "--corpus", "corpus", volume=volume)
    again = revue(image, "index", "--corpus", "corpus", volume=volume)
    assert "2 unchanged" in again and "0 chunks embedded" in again
    listed = revue(image, "sources", volume=volume)
    assert "OpenAI en « Code Rouge »" in listed


def test_a_followed_feed_is_saved_into_the_feeds_volume_and_indexed(image, volume):
    """As compose runs it: /data/feeds a volume of its own, shared between the processes."""
    feeds = f"{volume}-feeds"
    podman("volume", "create", feeds)
    try:
        with FeedServer() as server:
            news = [item(n, "Le viaduc de Millau") for n in (1, 2)]
            server.feeds["/rss"] = ("Midi Libre", items_at(server, *news))
            run_in = {"volume": volume, "feeds": feeds, "network": "host"}
            revue(image, "index", "--corpus", "corpus", **run_in)
            revue(image, "follow", server.url("/rss"), **run_in)
            polled = revue(image, "poll", **run_in)
            listed = revue(image, "sources", volume=volume, feeds=feeds)
    finally:
        podman("volume", "rm", "--force", feeds)
    assert "Midi Libre: 2 new: Dépêche 1" in polled and "2 added" in polled, polled
    assert "Dépêche 1 : Le viaduc de Millau" in listed and "Dépêche 2" in listed


def test_the_bot_answers_a_mention_reports_health_and_metrics_and_stops_on_sigterm(image, volume):
    revue(image, "index", "--corpus", "corpus", volume=volume)
    port = free_port()

    async def scenario() -> tuple[str, str, dict, float, int]:
        async with FakeDiscord() as fake:
            # the quotes alone: the bot's flow, not the writer's speed
            env = bot_env(fake, port, REVUE_WRITER="none")
            with Container(image, volume, env) as bot:
                await fake.wait_for("PUT", r"/applications/\d+/commands", timeout=300)
                await asyncio.sleep(1)
                await fake.send_message(f"<@{BOT_ID}> {FLAGSHIP}", author=ALICE)
                (reply,) = await fake.wait_for("POST", MESSAGES, timeout=300)
                health = await _healthy(bot)
                metrics = await asyncio.to_thread(scrape, port)
                started = time.monotonic()
                code = await asyncio.to_thread(bot.stop)
                return field_text(reply.json), health, metrics, time.monotonic() - started, code

    content, health, metrics, stopped_in, code = run(scenario())
    assert "Institut des Arts Numériques" in content
    assert health.startswith("healthy")
    assert sum(v for (n, _), v in metrics.items() if n == "revue_answers_total") == 1
    assert value(metrics, "revue_connected") == 1
    assert stopped_in < 10 and code == 0, (stopped_in, code)


async def _healthy(bot: Container) -> str:
    """``revue health`` inside the running container, once the first pulse is written."""
    deadline = time.monotonic() + 60
    while True:
        done = await asyncio.to_thread(bot.exec, "revue", "health")
        if done.returncode == 0 or time.monotonic() > deadline:
            return done.stdout + done.stderr
        await asyncio.sleep(1)
