"""A bundle directory: manifest.json, one .tflite per graph (one signature per bucket), voices.npz.

The runtime configures itself from the manifest and refuses a bundle whose files are missing,
fail their sha256, or whose graphs' signatures disagree with the manifest's buckets.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import mmap
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kokoro_litert.cache import cache_dir, sha256_file
from kokoro_litert.errors import BundleError
from kokoro_litert.native import quiet_at_exit, quiet_native_logs

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
            actual = set(signature_keys(self.path(graph)))
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


def signature_keys(path: Path) -> list[str]:
    """The signature names stored in a .tflite file, read from its flatbuffer without compiling it."""
    from ai_edge_litert import schema_py_generated as schema

    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        model = schema.Model.GetRootAs(buf, 0)
        return [model.SignatureDefs(i).SignatureKey().decode() for i in range(model.SignatureDefsLength())]


@contextlib.contextmanager
def _file_lock(path: Path):
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


_ENV = None


def _environment():
    """One LiteRT environment per process, shared by every compiled graph."""
    global _ENV
    if _ENV is None:
        from ai_edge_litert.compiled_model import _create_default_environment

        with quiet_native_logs():
            _ENV = _create_default_environment()
    return _ENV


@dataclass
class _Signature:
    index: int
    inputs: list[tuple[str, np.dtype]]
    outputs: list[tuple[str, tuple[int, ...], np.dtype]]
    in_buffers: list
    out_buffers: list


class GraphRunner:
    """One graph file compiled once (LiteRT CompiledModel on the CPU with XNNPACK).

    Packed weights live in an XNNPACK weight-cache file next to the other caches: the unrolled
    LSTMs reuse one weight tensor at every step, and without the cache XNNPACK would pack a copy
    per step (hundreds of MB); with it the weights are stored once and mapped from disk, and
    later loads skip the packing. Buffers are made once per bucket and reused.
    """

    def __init__(self, bundle: "Bundle", graph: str, threads: int):
        from ai_edge_litert.compiled_model import CompiledModel
        from ai_edge_litert.cpu_options import CpuOptions
        from ai_edge_litert.hardware_accelerator import HardwareAccelerator
        from ai_edge_litert.options import Options

        entry = bundle.manifest["graphs"][graph]
        self._table = entry["signatures"]
        cache = cache_dir("xnnpack") / f"{graph}-{entry['sha256'][:20]}.xnn"
        options = Options(HardwareAccelerator.CPU, cpu_options=CpuOptions(num_threads=threads, xnnpack_weight_cache_path=str(cache)))
        quiet_at_exit()
        with _file_lock(cache.with_suffix(".lock")), quiet_native_logs():  # one writer per new cache file
            self._model = CompiledModel.from_file(str(bundle.path(graph)), options=options, environment=_environment())
        self._signatures: dict[str, _Signature] = {}
        self._lock = threading.Lock()

    def _signature(self, name: str) -> _Signature:
        sig = self._signatures.get(name)
        if sig is None:
            index = self._model.get_signature_index(name)
            names = self._model.get_signature_by_index(index)
            spec = self._table[name]
            inputs = [(k, np.dtype(spec["inputs"][k]["dtype"])) for k in names["inputs"]]
            outputs = [(k, tuple(spec["outputs"][k]["shape"]), np.dtype(spec["outputs"][k]["dtype"])) for k in names["outputs"]]
            with quiet_native_logs():  # the first buffer write sets LiteRT up, loudly
                sig = _Signature(index, inputs, outputs, self._model.create_input_buffers(index), self._model.create_output_buffers(index))
                for (_, dtype), buf, shape in zip(inputs, sig.in_buffers, (spec["inputs"][k]["shape"] for k, _ in inputs)):
                    buf.write(np.zeros(shape, dtype))
            self._signatures[name] = sig
        return sig

    def __call__(self, signature: str, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        with self._lock:
            sig = self._signature(signature)
            for (name, dtype), buf in zip(sig.inputs, sig.in_buffers):
                buf.write(np.ascontiguousarray(inputs[name], dtype=dtype))
            self._model.run_by_index(sig.index, sig.in_buffers, sig.out_buffers)
            return {
                name: buf.read(int(np.prod(shape)), dtype).reshape(shape)
                for (name, shape, dtype), buf in zip(sig.outputs, sig.out_buffers)
            }
