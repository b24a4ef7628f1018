"""The instruction model as a reader: asked, for each passage, whether it answers the question,
and read from the first token's log-probabilities (``ChatClient.yes_probability``).

It reads the few windows the cosine ranks first, not every sentence: each pair costs the
passage's tokens (the instructions and the question are in the server's prompt cache), about
1-3 s on 2 cores for the embedded 1.5B model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from index.writing.client import ChatClient
from index.writing.prompt import read_messages_with_examples


class ChatJudge:
    """A ``PairReader`` over a chat model: P(yes) that each passage answers the question."""

    def __init__(
        self,
        client: Callable[[], ChatClient],
        name: str,
        messages: Callable[[str, str], list[dict[str, str]]] = read_messages_with_examples,
    ) -> None:
        self._client = client  # the writer's: one model, one server, one prompt cache
        self.name = name
        self._messages = messages

    def score(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """P(answers) for each text, in order. Raises ``WriterUnavailable`` when the model is
        down (the engine then falls back to the cosine)."""
        client = self._client()
        return np.array(
            [client.yes_probability(self._messages(question, t)) for t in texts], dtype=np.float32
        )
