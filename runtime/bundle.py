"""A bundle directory: manifest.json, one .tflite per graph (one signature per bucket), voices.npz.

The runtime configures itself from the manifest and refuses a bundle whose files are missing,
fail their sha256, or whose graphs' signatures disagree with the manifest's buckets.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

from kokoro_litert.cache import cache_dir, sha256_file
from kokoro_litert.errors import BundleError

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
GRAPHS = ("predictor", "prosody", "vocoder")


def default_bundle_dir() -> Path:
    return Path(os.environ.get("KOKORO_LITERT_BUNDLE") or cache_dir("bundles") / "default")


def token_signature(t: int) -> str:
    return f"T{t}"


def frame_signature(frames: int) -> str:
    return f"L{frames}"


class Bundle:
    def __init__(self, directory: str | os.PathLike | None = None, verify: bool = True):
        self.dir = Path(directory) if directory else default_bundle_dir()
        path = self.dir / MANIFEST
        if not path.is_file():
            raise BundleError(f"{self.dir}: no {MANIFEST}; build one with `kokoro-litert build --out {self.dir}`")
        try:
            self.manifest = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise BundleError(f"{path}: not valid JSON ({e})") from None
        if self.manifest.get("format") != FORMAT_VERSION:
            raise BundleError(f"{path}: format {self.manifest.get('format')!r}, this runtime reads {FORMAT_VERSION}")
        m = self.manifest
        self.tokens: list[int] = sorted(m["buckets"]["tokens"])
        self.frames: list[int] = sorted(m["buckets"]["frames"])  # vocoder buckets
        self.prosody_frames: list[int] = sorted(m["buckets"]["prosody_frames"])
        self.vocab: dict[str, int] = m["vocab"]
        self.sample_rate: int = m["audio"]["sample_rate"]
        self.samples_per_frame: int = m["audio"]["samples_per_frame"]
        self.source_frames_per_frame: int = m["audio"]["source_frames_per_frame"]
        self.source = m["source"]
        for entry in [*m["graphs"].values(), m["voices"]]:
            self._check_file(entry, verify)
        self._check_signatures()

    def _check_file(self, entry: dict, verify: bool) -> None:
        path = self.dir / entry["file"]
        if not path.is_file():
            raise BundleError(f"{self.dir}: missing {entry['file']} (listed in {MANIFEST})")
        if path.stat().st_size != entry["bytes"]:
            raise BundleError(f"{path}: {path.stat().st_size} bytes, manifest says {entry['bytes']}")
        if verify and sha256_file(path) != entry["sha256"]:
            raise BundleError(f"{path}: sha256 does not match the manifest (corrupt or replaced file)")

    def _check_signatures(self) -> None:
        expected = {
            "predictor": {token_signature(t) for t in self.tokens},
            "prosody": {frame_signature(f) for f in self.prosody_frames},
            "vocoder": {frame_signature(f) for f in self.frames},
        }
        for graph in GRAPHS:
            listed = set(self.manifest["graphs"][graph]["signatures"])
            actual = set(load_interpreter(self.path(graph), 1).get_signature_list())
            if listed != expected[graph] or actual != expected[graph]:
                raise BundleError(
                    f"{self.path(graph)}: signatures {sorted(actual)} / manifest {sorted(listed)} "
                    f"do not match the manifest's buckets {sorted(expected[graph])}"
                )

    def path(self, graph: str) -> Path:
        return self.dir / self.manifest["graphs"][graph]["file"]

    @property
    def voices_path(self) -> Path:
        return self.dir / self.manifest["voices"]["file"]

    def pick_tokens(self, n: int) -> int | None:
        return next((t for t in self.tokens if t >= n), None)

    def pick_frames(self, n: int, graph: str = "vocoder") -> int | None:
        sizes = self.prosody_frames if graph == "prosody" else self.frames
        return next((f for f in sizes if f >= n), None)


def load_interpreter(path: Path, threads: int):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(path), num_threads=threads)


class GraphRunner:
    """One graph file; a signature runner per bucket, created on first use and then reused."""

    def __init__(self, path: Path, threads: int):
        self._interpreter = load_interpreter(path, threads)
        self._runners: dict[str, object] = {}
        self._lock = threading.Lock()

    def __call__(self, signature: str, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        with self._lock:
            runner = self._runners.get(signature)
            if runner is None:
                runner = self._runners[signature] = self._interpreter.get_signature_runner(signature)
            return runner(**inputs)
