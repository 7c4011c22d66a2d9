"""A bundle directory: manifest.json, one .tflite per graph (one signature per bucket), voices.npz.

The runtime configures itself from the manifest and refuses a bundle whose files are missing,
fail their sha256, or whose graphs' signatures disagree with the manifest's buckets.

Memory follows the work (``GraphRunner``; measured variant by variant, each in its own process):
weights are packed once into a file-backed XNNPACK weight cache (the classic ``Interpreter`` cannot
use one from Python and packs the unrolled LSTMs' weights once per step: +600 MB); a bucket's
runtime state is set up on its first run only, with transient indirection buffers, and a graph
holds at most its largest bucket's worth of it (past that it is compiled afresh: +0.1-0.25 s CPU, the
cache being warm); and the three graphs' weight pages are resident one graph at a time, since they run
one after the other. CI bundle, 2 threads, peak RSS (VmHWM) before -> after: short text 615 -> 453 MB,
medium 676 -> 513 MB; long 502 MB.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import mmap
import os
import threading
import warnings
import weakref
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kokoro_litert.cache import cache_dir, sha256_file
from kokoro_litert.errors import BundleError
from kokoro_litert.native import quiet_at_exit, quiet_native_logs

from . import dsp
from .manifest import FORMAT_VERSION, MANIFEST
from .manifest import read as read_manifest
from .memory import drop_file_pages

GRAPHS = ("predictor", "prosody", "vocoder")
METADATA_KEY = "kokoro_litert"  # each shipped .tflite's own record: format, graph, signatures, weights sha256


def graph_metadata(graph: str, signatures, weights_sha256: str) -> dict:
    """The ``METADATA_KEY`` record a shipped graph carries, as the converter writes and ``Bundle`` checks it."""
    return {"format": FORMAT_VERSION, "graph": graph, "signatures": sorted(signatures), "weights_sha256": weights_sha256}


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
        self.manifest = m = read_manifest(path)  # keys and types as bundle_format.json defines them
        self.tokens: list[int] = _sizes(m["buckets"]["tokens"], path)
        self.frames: list[int] = _sizes(m["buckets"]["frames"], path)  # vocoder buckets
        self.prosody_frames: list[int] = _sizes(m["buckets"]["prosody_frames"], path)
        self.vocab: dict[str, int] = m["vocab"]
        audio, self.source = m["audio"], m["source"]
        self.sample_rate: int = audio["sample_rate"]
        self.samples_per_frame: int = audio["samples_per_frame"]
        self.source_frames_per_frame: int = audio["source_frames_per_frame"]
        self.n_fft, self.hop = audio["n_fft"], audio["hop"]
        # what the host DSP (dsp.py) implements; the rest of the constants are read from here
        if not len(self.source["l_linear_weight"]) == self.source["harmonics"] + 1 == dsp.N_HARMONICS or \
                self.samples_per_frame != 2 * dsp.UPSAMPLE_SCALE:
            raise BundleError(f"{path}: harmonics {self.source['harmonics']} / samples_per_frame {self.samples_per_frame} "
                              f"are not Kokoro-82M's ({dsp.N_HARMONICS - 1} / {2 * dsp.UPSAMPLE_SCALE})")
        self.weights_sha256: str = m["model"]["weights_sha256"]
        entries = [m["graphs"][g] for g in GRAPHS] + [m["voices"]] + list(m.get("text", {}).values())
        for entry in entries:
            self._check_file(entry, verify)
        self._check_signatures()
        gate = m.get("gate", {}).get("status") if isinstance(m.get("gate"), dict) else None
        if gate in ("skipped", "failed"):
            warnings.warn(f"{self.dir}: built with its parity gate {gate}: its audio has not been checked against "
                          "PyTorch (rebuild without --skip-gate)", stacklevel=2)

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
            listed = self.manifest["graphs"][graph].get("signatures")
            if not isinstance(listed, dict):
                raise BundleError(f"{self.dir / MANIFEST}: malformed manifest (graphs.{graph}.signatures must be an object)")
            listed = set(listed)
            keys, meta = graph_info(self.path(graph))
            actual = set(keys)
            if listed != expected[graph] or actual != expected[graph]:
                raise BundleError(
                    f"{self.path(graph)}: signatures {sorted(actual)} / manifest {sorted(listed)} "
                    f"do not match the manifest's buckets {sorted(expected[graph])}"
                )
            _check_metadata(self.path(graph), meta, graph_metadata(graph, expected[graph], self.weights_sha256))
        g2p = self.manifest.get("text", {}).get("g2p")
        if g2p:  # the G2P graph has weights of its own
            keys, meta = graph_info(self.dir / g2p["file"])
            _check_metadata(self.dir / g2p["file"], meta, {"format": FORMAT_VERSION, "graph": "g2p",
                                                           "signatures": [g2p["signature"]]})
            if keys != [g2p["signature"]]:
                raise BundleError(f"{self.dir / g2p['file']}: signatures {keys}, the manifest says {[g2p['signature']]}")

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


def _sizes(values: list[int], path: Path) -> list[int]:
    if not all(v > 0 for v in values):
        raise BundleError(f"{path}: malformed manifest (bucket sizes must be positive, got {values})")
    return sorted(values)


def _check_metadata(path: Path, meta: dict | None, want: dict) -> None:
    if meta is None or {k: meta.get(k) for k in want} != want:
        raise BundleError(f"{path}: its own metadata {meta} does not match the manifest {want} "
                          "(a graph from another build or bundle format)")


def graph_info(path: Path) -> tuple[list[str], dict | None]:
    """The signature names stored in a .tflite file and its ``METADATA_KEY`` record (None when
    absent), read from its flatbuffer without compiling it. A file that is not a readable .tflite
    flatbuffer (empty, truncated, garbage) is a BundleError."""
    import struct

    from ai_edge_litert import schema_py_generated as schema

    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size < 8:
                raise BundleError(f"{path}: not a .tflite file (only {os.fstat(f.fileno()).st_size} bytes)")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                if buf[4:8] != b"TFL3":
                    raise BundleError(f"{path}: not a .tflite file (no TFL3 identifier)")
                model = schema.Model.GetRootAs(buf, 0)
                keys = [model.SignatureDefs(i).SignatureKey().decode() for i in range(model.SignatureDefsLength())]
                meta = None
                for i in range(model.MetadataLength()):
                    if model.Metadata(i).Name() == METADATA_KEY.encode():
                        meta = json.loads(model.Buffers(model.Metadata(i).Buffer()).DataAsNumpy().tobytes())
                return keys, meta
    except (struct.error, IndexError, ValueError, UnicodeDecodeError, AttributeError) as e:
        raise BundleError(f"{path}: unreadable .tflite flatbuffer ({type(e).__name__}: {e})") from None


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
        import ai_edge_litert
        from ai_edge_litert.environment import Environment, EnvironmentOptions

        with quiet_native_logs():  # the runtime's own libraries live in the package directory
            _ENV = Environment.create(options=EnvironmentOptions(runtime_path=os.path.dirname(ai_edge_litert.__file__)))
    return _ENV


@dataclass
class _Signature:
    index: int
    size: int  # the bucket's length (T or L)
    inputs: list[tuple[str, np.dtype]]
    outputs: list[tuple[str, tuple[int, ...], np.dtype]]
    in_buffers: list
    out_buffers: list


# How much per-bucket runtime state a graph may hold at once, as a multiple of its largest bucket's
# length: preparing a bucket that would go past it first releases every prepared bucket (by compiling
# the graph afresh). Measured on the CI bundle, 2 threads: the vocoder's state grows with its bucket
# (L128: +46 MB anonymous on first use, +15 MB for each further bucket of the same size, with
# XNNPACK_FLAGS; +72 / +40 MB without), the predictor's (T32: +3 MB) and prosody's (L128: +4 MB)
# are small, so those two keep every bucket they have used.
STATE_BUDGET = {"vocoder": 1.0}

# XNNPACK delegate flags: its defaults (QS8 | QU8 = 0x3, which the weight cache of a default run
# matches) plus TRANSIENT_INDIRECTION_BUFFER (0x20): convolutions build their indirection buffers in
# the shared workspace at each run instead of keeping one per operator per bucket. Same output bits
# and speed; vocoder L128 state +46 MB instead of +72 MB, +15 MB instead of +40 MB per further bucket.
# The weight cache depends on the flags, so they are part of its file name.
XNNPACK_FLAGS = 0x3 | 0x20

def compile_graph(path: Path, weight_cache: Path, threads: int):
    """``path`` as a LiteRT CompiledModel on the CPU (XNNPACK, ``XNNPACK_FLAGS``) whose packed
    weights live in the file ``weight_cache``."""
    from ai_edge_litert.compiled_model import CompiledModel
    from ai_edge_litert.cpu_options import CpuOptions
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator
    from ai_edge_litert.options import Options

    cpu = CpuOptions(num_threads=threads, xnnpack_flags=XNNPACK_FLAGS, xnnpack_weight_cache_path=str(weight_cache))
    options = Options(HardwareAccelerator.CPU, cpu_options=cpu)
    quiet_at_exit()
    with _file_lock(weight_cache.with_suffix(".lock")), quiet_native_logs():  # one writer per new cache file
        try:
            return CompiledModel.from_file(str(path), options=options, environment=_environment())
        except RuntimeError as e:  # a .tflite that parses but does not compile (corrupt, verify=False)
            raise BundleError(f"{path}: LiteRT cannot compile it ({e})") from None


class GraphRunner:
    """One graph file, compiled as a LiteRT CompiledModel on the CPU with XNNPACK.

    What the memory is, and why the runner is built this way (CI bundle, 2 threads, LiteRT 2.3.0;
    each variant measured in its own process from /proc/self/status):

    * Packed weights live in an XNNPACK weight-cache file next to the other caches. The unrolled
      LSTMs reuse one weight tensor at every step: without the cache XNNPACK packs a copy per step
      (predictor T32: 647 MB anonymous instead of 46 MB; prosody: +900 MB). The classic
      ``Interpreter`` API has the same problem and no way to set the cache path from Python, and
      ``from_buffer`` on a private copy only adds the file's size as anonymous memory. With the
      cache the weights are one file-backed mapping, shared by every signature of the graph.
    * CompiledModel sets up a signature lazily, on its first run, and keeps what it set up (XNNPACK
      workspace, indirection buffers, arenas) until the model is freed: there is no per-signature
      release. That state grows with the bucket (see ``STATE_BUDGET``), so a process that had spoken
      sentences of every length kept every bucket's state. ``XNNPACK_FLAGS`` moves the convolutions'
      indirection buffers into the shared workspace, and a graph may hold at most ``STATE_BUDGET``
      x its largest bucket's length of prepared buckets: preparing one more first drops the
      CompiledModel and compiles the graph again (warm cache: 0.1-0.4 s, +0.1-0.25 s CPU per reload
      measured, no packing). A short sentence
      never sets up a large bucket.
    * Before a graph runs, the resident pages of the *other* graphs' weight caches and .tflite files
      are dropped (``madvise(MADV_DONTNEED)`` on their read-only mappings): the three graphs run one
      after the other, so the process maps one graph's weights at a time rather than all three
      (CI bundle: -260 MB of RssFile at the peak). The pages stay in the page cache and map back in
      on the next run (203 MB in 3-30 ms); ``RELEASE_IDLE_PAGES = False`` turns this off.

    Buffers are made once per prepared bucket and reused. ``prepared`` holds the signatures that
    currently hold state; ``reloads`` counts the recompilations. Each runner has its own lock.
    """

    RELEASE_IDLE_PAGES = True
    _all: "weakref.WeakSet[GraphRunner]" = weakref.WeakSet()
    _all_lock = threading.Lock()

    def __init__(self, bundle: "Bundle", graph: str, threads: int):
        entry = bundle.manifest["graphs"][graph]
        self.graph = graph
        self._table = entry["signatures"]
        self._path = bundle.path(graph)
        self._threads = threads
        self._cache = cache_dir("xnnpack") / f"{graph}-{entry['sha256'][:20]}-x{XNNPACK_FLAGS:x}.xnn"
        sizes = [int(name[1:]) for name in self._table]
        self._budget = STATE_BUDGET.get(graph, float(len(sizes))) * max(sizes)
        self._signatures: dict[str, _Signature] = {}
        self._lock = threading.Lock()
        self.reloads = 0
        self._files = {str(self._path.resolve()), str(self._cache.resolve())}  # as /proc/self/maps names them
        self._model = self._compile()
        with GraphRunner._all_lock:
            GraphRunner._all.add(self)

    @property
    def prepared(self) -> frozenset[str]:
        return frozenset(self._signatures)

    def _compile(self):
        return compile_graph(self._path, self._cache, self._threads)

    def _release_other_graphs(self) -> None:
        with GraphRunner._all_lock:
            others = [r for r in list(GraphRunner._all) if r is not self]
        paths = set().union(*(r._files for r in others)) - self._files if others else set()
        if paths:
            drop_file_pages(paths)

    def _signature(self, name: str) -> _Signature:
        sig = self._signatures.get(name)
        if sig is not None:
            return sig
        spec = self._table[name]  # KeyError for a signature the manifest does not list
        size = int(name[1:])
        if self._signatures and sum(s.size for s in self._signatures.values()) + size > self._budget:
            self._signatures.clear()  # their buffers first, then the model that owns the state
            self._model = None
            self._model = self._compile()
            self.reloads += 1
        index = self._model.get_signature_index(name)
        names = self._model.get_signature_by_index(index)
        inputs = [(k, np.dtype(spec["inputs"][k]["dtype"])) for k in names["inputs"]]
        outputs = [(k, tuple(spec["outputs"][k]["shape"]), np.dtype(spec["outputs"][k]["dtype"])) for k in names["outputs"]]
        with quiet_native_logs():  # the first buffer write sets LiteRT up, loudly
            sig = _Signature(index, size, inputs, outputs,
                             self._model.create_input_buffers(index), self._model.create_output_buffers(index))
            for (_, dtype), buf, shape in zip(inputs, sig.in_buffers, (spec["inputs"][k]["shape"] for k, _ in inputs)):
                buf.write(np.zeros(shape, dtype))
        self._signatures[name] = sig
        return sig

    def __call__(self, signature: str, **inputs: np.ndarray) -> dict[str, np.ndarray]:
        with self._lock:
            if self.RELEASE_IDLE_PAGES:
                self._release_other_graphs()
            sig = self._signature(signature)
            for (name, dtype), buf in zip(sig.inputs, sig.in_buffers):
                buf.write(np.ascontiguousarray(inputs[name], dtype=dtype))
            self._model.run_by_index(sig.index, sig.in_buffers, sig.out_buffers)
            return {
                name: buf.read(int(np.prod(shape)), dtype).reshape(shape)
                for (name, shape, dtype), buf in zip(sig.outputs, sig.out_buffers)
            }
