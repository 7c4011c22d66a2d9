"""Bucket specs: the fixed shapes the converter builds and the runtime chooses from.

A spec lists token lengths T (predictor graph) and frame lengths L (prosody and vocoder graphs)
independently: the predictor's cost follows T, the frame-rate graphs' cost follows L, and the
runtime picks the smallest of each that fits. One frame is 600 samples (25 ms at 24 kHz).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class BucketSpec:
    tokens: tuple[int, ...]  # T values, ascending; a T includes the two boundary pad tokens
    frames: tuple[int, ...]  # L values, ascending

    def pick_tokens(self, n: int) -> int | None:
        return next((t for t in self.tokens if t >= n), None)

    def pick_frames(self, n: int) -> int | None:
        return next((f for f in self.frames if f >= n), None)


def load_spec(name_or_path: str | Path = "default") -> BucketSpec:
    """Read a spec by name (a .toml file shipped in this package) or by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        text = path.read_text()
    else:
        text = resources.files(__package__).joinpath(f"{name_or_path}.toml").read_text()
    data = tomllib.loads(text)
    tokens = tuple(sorted(int(t) for t in data["tokens"]))
    frames = tuple(sorted(int(f) for f in data["frames"]))
    if not tokens or not frames or min(tokens) < 3 or min(frames) < 1:
        raise ValueError(f"bucket spec {name_or_path}: needs tokens >= 3 and frames >= 1")
    return BucketSpec(tokens, frames)
