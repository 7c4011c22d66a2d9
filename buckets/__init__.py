"""Bucket specs: the fixed shapes the converter builds and the runtime chooses from.

A spec lists token lengths T (predictor graph) and frame lengths L (vocoder graph, and by default
the prosody graph) independently: the predictor's cost follows T, the frame-rate graphs' cost
follows L, and the runtime picks the smallest of each that fits. One frame is 600 samples (25 ms
at 24 kHz). The vocoder is ~90% of the run time, so it gets fine frame buckets; the prosody graph
is cheap to run but slow to convert (its LSTM is unrolled per frame), so it may get coarser ones
(``prosody_frames``), as long as the largest is the same.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class BucketSpec:
    tokens: tuple[int, ...]  # T values, ascending; a T includes the two boundary pad tokens
    frames: tuple[int, ...]  # vocoder L values, ascending
    prosody_frames: tuple[int, ...]  # prosody L values, ascending; same maximum as frames


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
    prosody = tuple(sorted(int(f) for f in data.get("prosody_frames", frames)))
    if not tokens or not frames or min(tokens) < 3 or min(frames) < 3 or min(prosody) < 3:
        raise ValueError(f"bucket spec {name_or_path}: needs tokens >= 3 and frames >= 3")
    if max(prosody) != max(frames):
        raise ValueError(f"bucket spec {name_or_path}: prosody_frames and frames need the same largest bucket")
    return BucketSpec(tokens, frames, prosody)
