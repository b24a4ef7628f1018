"""A 👎 as a question for ``revue eval``: the line ``index.evaluation.load_questions`` reads,
left for a maintainer to complete.

The engine cannot know what the right quote was (it would have cited it), so ``evidence`` is
empty and ``todo`` says what to fill in: the words of an article that answer the question (a
few words verbatim, as in ``seed_questions.jsonl``), or ``"answerable": false`` when the
coverage does not say. Until then the question fails in ``revue eval`` (no evidence can be
found), which is what it should do: someone has to look at it.
"""

from __future__ import annotations

from typing import Any

from index.records import Feedback

TODO = (
    "fill 'evidence' with a few words quoted verbatim from the article that answers this "
    "question, or set 'answerable' to false if the coverage does not answer it; then delete "
    "this field"
)


def eval_lines(votes: list[Feedback]) -> list[dict[str, Any]]:
    """One question line per answer voted 👎 (however many users did), oldest answer first."""
    down = {f.answer.id: f for f in votes if f.vote == "down"}
    count = {a: sum(1 for f in votes if f.answer.id == a and f.vote == "down") for a in down}
    out = []
    for answer_id in sorted(down):
        answer = down[answer_id].answer
        out.append(
            {
                "id": f"feedback-{answer_id}",
                "question": answer.asked,
                "lang": answer.language or None,
                "answerable": True,
                "evidence": [],
                "todo": TODO,
                # What was answered, so the maintainer sees what was wrong.
                "voted_down": count[answer_id],
                "answer": answer.answer,
                "cited": [c.quote for c in answer.citations],
            }
        )
    return out
