"""Phoneme string -> Kokoro input ids.

The vocab is Kokoro's ``config.json`` ``vocab`` (symbol -> id, 114 symbols), carried in the bundle
manifest. Id 0 is the boundary/pad token: Kokoro's input is ``[0, *ids, 0]``; ``encode`` returns the
ids without the boundary tokens and ``model_input`` adds them (so a chunk costs ``len(ids) + 2``).
"""

from __future__ import annotations

import warnings
from typing import Mapping, Sequence

__all__ = ["Tokenizer", "BOUNDARY_ID"]

BOUNDARY_ID = 0


class Tokenizer:
    def __init__(self, vocab: Mapping[str, int]):
        if not vocab:
            raise ValueError("empty vocab")
        bad = [s for s in vocab if len(s) != 1]
        if bad:
            raise ValueError(f"vocab symbols must be single characters: {bad[:5]}")
        self.vocab = dict(vocab)
        self.symbols = frozenset(self.vocab)

    def encode(self, phonemes: str) -> list[int]:
        """Ids of the symbols in ``phonemes`` (no boundary tokens).

        Symbols outside the vocab are dropped, with one ``warnings.warn`` per call naming them.
        """
        vocab = self.vocab
        ids = [vocab[c] for c in phonemes if c in vocab]
        if len(ids) != len(phonemes):
            unknown = sorted({c for c in phonemes if c not in vocab})
            warnings.warn(
                "dropped phoneme symbols not in the Kokoro vocab: "
                + ", ".join(f"{c!r} (U+{ord(c):04X})" for c in unknown),
                stacklevel=2,
            )
        return ids

    def __len__(self) -> int:
        return len(self.vocab)

    @staticmethod
    def model_input(ids: Sequence[int]) -> list[int]:
        """The model's ``input_ids`` row: ``[0, *ids, 0]``."""
        return [BOUNDARY_ID, *ids, BOUNDARY_ID]

    @staticmethod
    def input_length(ids: Sequence[int]) -> int:
        """Length of ``model_input(ids)``: what must fit a bucket / max_tokens."""
        return len(ids) + 2
