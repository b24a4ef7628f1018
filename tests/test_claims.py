"""Checking a claim, outlet by outlet: supports it, contradicts it, or does not say, each verdict
with its verbatim quote. The language model is the fake endpoint here (its yes-or-no answers
scripted from the passage it is shown); tests/test_writer_model.py-style real runs are at the
end, skipped where the embedded model is not built."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from index.errors import NeedsLanguageModel
from index.writing.stance import StanceConfig, decide, mismatch
from tests.conftest import CORPUS, write
from tests.fake_discord import BOT_ID, FakeDiscord
from tests.fake_llm import FakeLLM, Request
from tests.settle import until
from tests.test_bot import (  # noqa: F401 - the fixture puts discord.py's endpoints back
    ALICE,
    BOB,
    CALLBACK,
    FOLLOWUP,
    MESSAGES,
    ORIGINAL,
    QUIET_CHANNEL,
    _restore_endpoints,
    run,
    running_bot,
)
from tests.test_cli import invoke

STRIKE = (
    "Les dockers du port de Marseille sont en grève depuis lundi contre la réforme des horaires "
    "de nuit. Le syndicat des dockers réclame le retrait du nouveau planning."
)
DENIAL = (
    "Au port de Marseille, les dockers ne sont pas en grève : ils ont signé mardi l'accord sur "
    "la réforme des horaires de nuit. Le port de Marseille tourne normalement."
)
ASIDE = (
    "Les dockers de Marseille ont élu un nouveau syndicat. Le port de Marseille recrute des "
    "dockers pour les horaires de nuit l'an prochain."
)
JAZZ = "Le festival de jazz de Vienne a accueilli cinquante mille spectateurs cette année."
ROWS = [
    ("afp-docks", "AFP", "2025-05-02", STRIKE),
    ("gaz-docks", "La Gazette", "2025-05-03", DENIAL),
    ("sem-docks", "Le Sémaphore", "2025-05-04", ASIDE),
    ("jazz", "Ouest Matin", "2025-05-03", JAZZ),
]
CLAIM = (
    "Les dockers de Marseille sont en grève depuis lundi contre la réforme des horaires de nuit."
)


def scripted(request: Request) -> float:
    """The fake model: the strike dispatch states the claim, the denial contradicts it."""
    passage = request.user.split("«", 1)[1].split("»", 1)[0]
    if "state this claim" in request.user:
        return 0.9 if "en grève depuis lundi" in passage else 0.1
    return 0.92 if "ne sont pas en grève" in passage else 0.05


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("claims-corpus")
    rows = [
        {"id": i, "source": s, "date": d, "title": f"Le port ({s})", "text": x}
        for i, s, d, x in ROWS
    ]
    write(folder / "news.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    return folder


@pytest.fixture(scope="module")
def llm():
    with FakeLLM(entails=scripted) as fake:
        yield fake


@pytest.fixture(scope="module")
def engine(tmp_path_factory, encoder, fake_reader, corpus, llm):
    from index.engine import Revue
    from index.settings import Settings

    data = tmp_path_factory.mktemp("claims-data")
    settings = Settings(data_dir=data, writer="endpoint", llm_url=llm.url)
    revue = Revue(settings, encoder, fake_reader)
    revue.index([corpus])
    yield revue
    revue.close()


def test_each_outlet_gets_a_verdict_with_a_verbatim_quote(engine):
    heard: list[tuple[str, int, int]] = []
    c = engine.check(CLAIM, on_verdict=lambda v, done, total: heard.append((v.outlet, done, total)))
    labels = {v.outlet: v.label for v in c.verdicts}
    assert labels["AFP"] == "supports"
    assert labels["La Gazette"] == "contradicts"
    assert labels["Le Sémaphore"] == "not_said"
    for v in c.verdicts:
        article = engine.article(v.citation.article_id)
        assert (
            v.citation.quote and article.text[v.citation.start : v.citation.end] == v.citation.quote
        )
        assert 0.0 <= v.confidence <= 1.0 and v.reason
    assert [v.citation.n for v in c.verdicts] == list(range(1, len(c.verdicts) + 1))
    assert [d for _, d, _ in heard] == list(range(1, len(c.verdicts) + 1))
    assert c.model and c.limit == 6 and not c.unjudged


def test_a_contradiction_comes_with_its_quote_and_confidence(engine):
    (v,) = [v for v in engine.check(CLAIM).verdicts if v.label == "contradicts"]
    assert "ne sont pas en grève" in v.citation.quote and v.confidence >= 0.9
    assert "contradicts it 0.92" in v.reason


def test_outlets_beyond_the_limit_are_named_not_judged(engine, llm):
    before = len(llm.checks)
    c = engine.desk.check(CLAIM, limit=1)
    assert len(c.verdicts) == 1 and len(c.unjudged) >= 2
    assert len(llm.checks) - before <= 2 * 2  # one outlet, at most two windows, two questions
    assert not set(c.unjudged) & set(c.silent)


def test_without_a_model_checking_says_so_in_one_sentence(seed_index, tmp_path):
    from index.engine import Revue

    engine = Revue(seed_index.settings, seed_index.embedder, seed_index.reader)  # REVUE_WRITER=none
    with pytest.raises(NeedsLanguageModel, match="needs the language model"):
        engine.check("Gemini a 650 millions d'utilisateurs.")
    result = invoke(engine, "check", "Gemini a 650 millions d'utilisateurs.")
    assert result.exit_code != 0 and "Traceback" not in result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "needs the language model" in lines[0]
    engine.close()


def test_the_command_line_prints_the_verdicts_as_text_and_json(engine):
    text = invoke(engine, "check", CLAIM).output
    assert "outlets judged:" in text and "contradicts it (0.92) · La Gazette" in text
    assert "supports it (0.90) · AFP" in text and "why: " in text
    out = json.loads(invoke(engine, "check", CLAIM, "--json", "--since", "2025").output)
    assert {"claim", "verdicts", "unjudged", "silent", "limit", "model", "seconds"} <= set(out)
    v = next(v for v in out["verdicts"] if v["label"] == "contradicts")
    assert v["confidence"] >= 0.9 and v["citation"]["quote"] and v["outlet"] == "La Gazette"


def test_the_literal_check_finds_a_changed_number_or_day():
    passage = "Elle dispose d'une cote de satisfaction de 67 % auprès des sondés, mardi."
    assert mismatch("Her rating is 47 %.", passage) == "the number 47 is not in the passage"
    assert (
        mismatch("Sa cote est de 67 %, jeudi.", passage) == "the day “jeudi” is not in the passage"
    )
    assert mismatch("Her rating is 67 % (Tuesday).", passage) is None
    assert mismatch("Elle a 2 chiens.", "Elle aime les chiens.") is None  # no number to differ
    # a year is compared with years: its absence is no mismatch, another year is
    assert mismatch("In 2025 her rating was 67 %.", passage) is None
    changed = mismatch(
        "Son salaire était de 3 000 euros en 2019.", "Il gagnait 3 000 euros en 2021."
    )
    assert changed == "the number 2019 is not in the passage"
    # an amount in groups of three is no year, even between 1900 and 2099
    changed = mismatch("Le salaire est de 2 000 euros.", "Le salaire est de 1 500 euros.")
    assert changed == "the number 2000 is not in the passage"
    config = StanceConfig()
    # the model alone calls no contradiction: a literal difference must back it
    assert decide(0.1, 0.9, None, config).label == "not_said"
    assert decide(0.1, 0.9, None, StanceConfig(model_alone_contradicts=True)).label == "contradicts"
    assert decide(0.1, 0.3, "the day “jeudi” is not in the passage", config).label == "contradicts"
    assert decide(0.9, 0.1, None, config).label == "supports"
    assert decide(0.9, 0.1, "the number 47 is not in the passage", config).label != "supports"
    assert decide(0.1, 0.2, None, config).label == "not_said"


def last_edit(fake: FakeDiscord) -> str:
    edits = fake.sent("PATCH", ORIGINAL)
    return str(edits[-1].json.get("content", "")) if edits else ""


def test_slash_check_is_deferred_edits_its_progress_and_ends_with_the_verdicts(engine, llm):
    def slowly(request: Request) -> float:
        time.sleep(0.05)  # a model that takes its time: the message shows the outlets judged
        return scripted(request)

    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(engine, fake, progress_interval=0.01):
            await fake.slash("check", {"claim": CLAIM}, author=ALICE)
            await until(lambda: "outlets judged." in last_edit(fake), "the verdicts")
            (callback,) = fake.sent("POST", CALLBACK)
            edits = [r.json["content"] for r in fake.sent("PATCH", ORIGINAL)]
        assert callback.json["type"] == 5  # deferred: "Revue is thinking…"
        assert any("outlets judged…" in e for e in edits[:-1]), edits
        final = fake.sent("PATCH", ORIGINAL)[-1].json
        assert "La Gazette: **contradicts it** (0.92)" in final["content"]
        assert "AFP: **supports it** (0.90)" in final["content"]
        quotes = [f["value"] for e in final["embeds"] for f in e["fields"]]
        assert any("ne sont pas en grève" in q for q in quotes)

    llm.entails = slowly
    try:
        run(scenario())
    finally:
        llm.entails = scripted


def test_a_long_check_waits_for_the_model_without_holding_up_questions(engine, llm):
    """One answer worker: the check queues on the language model's own worker, so a question
    asked meanwhile is answered before the check ends."""

    def slowly(request: Request) -> float:
        time.sleep(0.4)
        return scripted(request)

    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(engine, fake, workers=1):
            await fake.slash("check", {"claim": CLAIM}, author=ALICE)
            await until(lambda: fake.sent("POST", CALLBACK), "the check deferred")
            await fake.send_message(
                f"<@{BOT_ID}> Les dockers de Marseille sont-ils en grève ?",
                author=BOB,
                channel_id=QUIET_CHANNEL,
            )
            (reply,) = await fake.wait_for("POST", MESSAGES)
            assert "[1]" in reply.json["content"]  # the quotes
            assert "outlets judged." not in last_edit(fake)  # the check is still going
            await until(lambda: "outlets judged." in last_edit(fake), "the verdicts")

    llm.entails = slowly
    try:
        run(scenario())
    finally:
        llm.entails = scripted


def test_slash_check_without_a_model_is_one_sentence(seed_index):
    async def scenario() -> None:
        async with FakeDiscord() as fake, running_bot(seed_index, fake):
            await fake.slash(
                "check", {"claim": "Gemini a 650 millions d'utilisateurs."}, author=ALICE
            )
            (reply,) = await fake.wait_for("POST", FOLLOWUP)
        assert reply.json["content"] == (
            "Checking a claim needs the language model, and none is set up here."
        )

    run(scenario())


@pytest.mark.model
def test_the_real_model_checks_a_claim_through_the_command_line(tmp_path, monkeypatch):
    from index.writing.local import writer_model_path
    from tests.test_cli import run as revue

    if not writer_model_path().is_file():
        pytest.skip("the embedded writer model is not built (`revue model --writer`)")
    monkeypatch.setenv("REVUE_WRITER", "local")
    data = tmp_path / "data"
    assert revue("index", "--corpus", str(CORPUS), data_dir=data).returncode == 0
    done = revue("check", "Gemini compte 650 millions d'utilisateurs mensuels.", "--json",
                 data_dir=data, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out: dict[str, Any] = json.loads(done.stdout)
    assert out["verdicts"], out
    texts = {p.stem: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.md")}
    for v in out["verdicts"]:
        c = v["citation"]
        assert c["quote"] and c["quote"] in texts[c["article_id"]]
    assert any(v["label"] == "supports" for v in out["verdicts"]), out
