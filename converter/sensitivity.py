"""The mixed-precision plan: which layer groups can be dynamic-range int8, measured end to end.

The scan quantizes one layer group at a time (``quantize.py``), speaks the calibration sentences
through the whole bundle with the same phonemes, voice and source noise as the fp32 bundle, and
records the damage: log-mel distance, magnitude-spectrogram correlation and the share of token
durations that still round to the same frame count. The spectral damage is measured with the fp32
durations forced on the variant: one duration that rounds the other way would otherwise shift
every later frame and swamp the spectral difference (timing is counted in its own measure).

Each group is either ``int8`` or ``fp32``. The half-way precisions (``fp16``, ``int8w``) are not
used: the XNNPACK delegate dequantizes their weights to fp32 when a graph is compiled, once per
signature, into memory it never frees (default vocoder, all int8w: 1.70 GB anonymous after
compiling vs 76 MB fp32 and 70 MB int8), so they save disk but cost RAM in every multi-bucket graph.
Dynamic int8 is packed straight from the int8 weights into the weight cache and runs int8 dot
products (vocoder L512: 2.4 s vs 8-13 s fp32 on an AVX-512 VNNI Xeon). Then:

0. groups under ``MIN_WEIGHTS`` weights stay fp32;
1. every other group is measured alone in int8; it is a candidate if it keeps every duration and is
   not upstream of the durations (``feeds_durations``: ALBERT, the DurationEncoder, the
   duration LSTM). A duration rounds to whole frames, so an error there does not degrade a frame,
   it moves a boundary and shifts every later frame by 25 ms: the last scan let three such groups
   in (the duration LSTM and two of its norms, 0.07 dB between them) because they changed no
   duration of the four calibration sentences, and on the 80 evaluation sentences 7 had a token
   that rounded the other way, which tripled the bundle's spectral distance to fp32 (0.88 dB vs
   0.54 on the other 73);
2. candidates are ordered by damage per byte saved (solo dB / weights); the longest prefix of that
   order whose whole plan, measured at once, is within ``TARGET`` is found by bisection;
3. each later candidate is then tried on top, kept only if the whole plan stays within ``TARGET``.

Every measurement and the chosen precision of every group go into the manifest, so a build can
rerun the scan and a user can see why each group got its precision.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm import tqdm

from kokoro_litert.cache import sha256_file
from kokoro_litert.runtime.bundle import GRAPHS, MANIFEST, Bundle, GraphRunner, graph_metadata
from kokoro_litert.runtime.manifest import read as read_manifest
from kokoro_litert.runtime.manifest import write as write_manifest
from kokoro_litert.runtime import dsp
from kokoro_litert.runtime.engine import Engine
from kokoro_litert.runtime.g2p import G2P
from kokoro_litert.runtime.tokenizer import Tokenizer
from kokoro_litert.runtime.voices import load_npz, style_for

from . import fidelity
from .quantize import layer_groups, quantize_graph

VOICE = "af_heart"
# The whole plan vs fp32 on the calibration sentences (log-mel mean, correlation worst case, durations).
# The goal is 0.5 dB on sentences the scan never saw; the four short calibration sentences read low:
# a plan at 0.367 dB here measured 0.508 dB on the 80 evaluation sentences, hence 0.35. For scale:
# the same fp32 bundle with another source-noise seed differs from itself by 0.4-0.5 dB.
TARGET = {"logmel_db": 0.35, "magspec_corr": 0.99, "durations_equal": 1.0}
# The predictor's layer groups that do not feed the durations (graphs.PredictorGraph's TextEncoder,
# whose t_en goes to the vocoder only); every other predictor group is upstream of the durations.
TEXT_ENCODER_GROUPS = ("embedding", "text_cnn", "text_lstm")


def feeds_durations(graph: str, group: str) -> bool:
    return graph == "predictor" and group not in TEXT_ENCODER_GROUPS


# Smaller groups stay fp32 unscanned: they are <1 % of the bytes, and they are the first and last
# layers around the model's inputs and outputs (F0/N input convs, conv_post, duration_proj).
MIN_WEIGHTS = 100_000


def calibration_ids(tokenizer: Tokenizer, max_tokens: int) -> list[list[int]]:
    """The calibration sentences that fit ``max_tokens`` (boundary tokens included)."""
    text = resources.files(__package__).joinpath("calibration_sentences.txt").read_text()
    g2p = G2P()
    ids = [tokenizer.encode(g2p.phonemize(line)) for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return [i for i in ids if len(i) + 2 <= max_tokens]


@contextlib.contextmanager
def _scratch_xnnpack_cache(path: Path):
    """Compile the scan's bundles with a throw-away XNNPACK weight cache (each would add 50-200 MB)."""
    saved = os.environ.get("KOKORO_LITERT_CACHE")
    os.environ["KOKORO_LITERT_CACHE"] = str(path)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("KOKORO_LITERT_CACHE", None)
        else:
            os.environ["KOKORO_LITERT_CACHE"] = saved


class Probe:
    """Speaks the calibration sentences through a bundle and compares them with the fp32 bundle's.

    A variant recompiles only the graphs it changes and borrows the fp32 engine's other runners."""

    def __init__(self, fp32_dir: Path, threads: int = 2):
        bundle = Bundle(fp32_dir, verify=False)
        pack = load_npz(bundle.voices_path).get(VOICE)
        self.cases = [(ids, style_for(pack, len(ids)))
                      for ids in calibration_ids(Tokenizer(bundle.vocab), bundle.tokens[-1])]
        self.threads = threads
        self.base = Engine(bundle, threads=threads)
        self._runners: dict[str, tuple[Path, GraphRunner]] = {}  # the last variant runner per graph
        self.reference = self._speak(self.base)

    def _speak(self, engine: Engine, forced: list[np.ndarray] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """(audio, durations) per case; ``forced``: align with these durations instead of the
        engine's own, so that a changed duration does not shift every later frame."""
        out = []
        for i, (ids, style) in enumerate(self.cases):
            p = engine.prepare(ids, style, rng=np.random.default_rng(0), durations=None if forced is None else forced[i])
            predicted = dsp.durations_to_frames(p.stages["durations"], 1.0)  # the predictor's own, rounded
            out.append((engine.render(p)[0], predicted))
        return out

    def measure(self, bundle_dir: Path, changed: dict[str, Path]) -> dict:
        """Damage vs fp32: log-mel dB and correlation with the fp32 durations forced (spectral
        damage), and the share of token durations that round the same (timing damage).
        ``changed``: graph -> the variant file in ``bundle_dir`` (a file seen before reuses its runner)."""
        engine = copy.copy(self.base)
        bundle = Bundle(bundle_dir, verify=False)
        for graph, path in changed.items():
            if self._runners.get(graph, (None,))[0] != path:
                self._runners[graph] = (path, GraphRunner(bundle, graph, self.threads))
            setattr(engine, graph, self._runners[graph][1])
        rows = []
        forced = [durations for _, durations in self.reference]
        for (audio, durations), (ref_audio, ref_durations) in zip(self._speak(engine, forced), self.reference):
            m = fidelity.compare(audio, ref_audio)
            rows.append({**m, "durations_equal": float(np.mean(durations == ref_durations))})
        return {
            "logmel_db": float(np.mean([r["logmel_db"] for r in rows])),
            "magspec_corr": float(min(r["magspec_corr"] for r in rows)),
            "durations_equal": float(np.mean([r["durations_equal"] for r in rows])),
        }


def variant_bundle(base: Path, dest: Path, graph_files: dict[str, Path], keep_names: bool = False) -> Path:
    """A bundle in ``dest`` that is ``base`` with some graph files replaced (others linked); the
    replacements must have the same signatures (quantization keeps every input and output) and get
    the metadata record the runtime checks (format, graph, signatures, weights sha256)."""
    from .export import finalize_graph

    dest.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(base / MANIFEST)
    for entry in [*manifest["graphs"].values(), manifest["voices"], *manifest.get("text", {}).values()]:
        (dest / entry["file"]).unlink(missing_ok=True)
        (dest / entry["file"]).symlink_to((base / entry["file"]).resolve())
    for graph, path in graph_files.items():
        entry = manifest["graphs"][graph]
        target = dest / entry["file"]
        target.unlink()
        metadata = graph_metadata(graph, entry["signatures"], manifest["model"]["weights_sha256"])
        finalize_graph(path, target, metadata, strip_names=not keep_names)
        entry.update(bytes=target.stat().st_size, sha256=sha256_file(target))
    write_manifest(dest / MANIFEST, manifest)
    return dest


def within_target(damage: dict) -> bool:
    return (damage["logmel_db"] <= TARGET["logmel_db"] and damage["magspec_corr"] >= TARGET["magspec_corr"]
            and damage["durations_equal"] >= TARGET["durations_equal"])


class _Variants:
    """Quantized graph files under ``work``, one per distinct (graph, part of a plan): a trial
    that changes one graph quantizes (and the probe compiles) only that one."""

    def __init__(self, work: Path, base: Path):
        self.work, self.base, self.files = work, base, {}

    def bundle(self, plan: dict[str, dict[str, str]]) -> tuple[Path, dict[str, Path]]:
        files = {}
        for graph, groups in plan.items():
            if any(p != "fp32" for p in groups.values()):
                key = (graph, json.dumps(groups, sort_keys=True))
                if key not in self.files:
                    self.files[key] = self.work / f"{graph}-{len(self.files)}.tflite"
                    quantize_graph(self.base / f"{graph}.tflite", self.files[key], groups)
                files[graph] = self.files[key]
        shutil.rmtree(self.work / "bundle", ignore_errors=True)
        return variant_bundle(self.base, self.work / "bundle", files), files


def select_plan(groups: dict[str, dict[str, int]], trial, log, measured: dict | None = None) -> dict:
    """The selection rule of the module docstring. ``groups``: graph -> group -> weight count;
    ``trial(plan)`` measures a plan (graph -> group -> precision) against fp32. ``measured``:
    solo int8 measurements of an earlier scan, ``{(graph, group): damage}``, reused."""
    measured = measured or {}
    rows = []
    steps = [(g, name) for g in groups for name, weights in groups[g].items() if weights >= MIN_WEIGHTS]
    for graph, name in tqdm(steps, desc="sensitivity scan", unit="group", file=sys.stderr, disable=None):
        damage = measured.get((graph, name)) or trial({graph: {name: "int8"}})
        rows.append({"graph": graph, "group": name, "weights": groups[graph][name], "precision": "fp32",
                     "solo": {"int8": damage}})
        log(f"scan {graph}/{name}: int8 alone {damage['logmel_db']:.3f} dB, durations {damage['durations_equal']:.3f}")
    candidates = sorted((r for r in rows if r["solo"]["int8"]["durations_equal"] >= TARGET["durations_equal"]
                         and not feeds_durations(r["graph"], r["group"])),
                        key=lambda r: r["solo"]["int8"]["logmel_db"] / r["weights"])

    def plan_of(int8: list[dict]) -> dict[str, dict[str, str]]:
        chosen = {(r["graph"], r["group"]) for r in int8}
        return {g: {name: "int8" if (g, name) in chosen else "fp32" for name in groups[g]} for g in groups}

    results: dict[int, dict] = {}

    def measure(int8: list[dict], what: str) -> dict:
        damage = trial(plan_of(int8))
        log(f"{what}: {damage['logmel_db']:.3f} dB, corr {damage['magspec_corr']:.5f}, "
            f"durations {damage['durations_equal']:.3f}")
        return damage

    lo, hi = 0, len(candidates)  # the longest passing prefix has length in [lo, hi]
    while lo < hi:
        k = (lo + hi + 1) // 2
        results[k] = measure(candidates[:k], f"first {k} of {len(candidates)} candidates in int8")
        lo, hi = (k, hi) if within_target(results[k]) else (lo, k - 1)
    chosen = candidates[:lo]
    result = results.get(lo) or {"logmel_db": 0.0, "magspec_corr": 1.0, "durations_equal": 1.0}
    for row in candidates[lo + 1:]:
        attempt = measure([*chosen, row], f"with {row['graph']}/{row['group']}")
        if within_target(attempt):
            chosen, result = [*chosen, row], attempt
    for row in chosen:
        row["precision"] = "int8"
    return {"plan": plan_of(chosen), "groups": rows, "result": result, "target": TARGET}


def scan(fp32_dir: Path, threads: int = 2, log=lambda line: print(line, file=sys.stderr), measured: dict | None = None) -> dict:
    """Choose every layer group's precision for the bundle in ``fp32_dir``; returns the record
    the manifest stores: ``{"plan": {graph: {group: precision}}, "groups": [...], "result": {...}}``."""
    groups = {g: {name: lg.weights for name, lg in layer_groups(fp32_dir / f"{g}.tflite").items()} for g in GRAPHS}
    unnamed = [g for g in GRAPHS if not groups[g]]
    if unnamed:  # a shipped bundle's graphs have their tensor names stripped: scan the converted ones
        raise ValueError(f"{fp32_dir}: {', '.join(unnamed)} has no named layer groups (a stripped bundle graph?)")
    with tempfile.TemporaryDirectory(prefix="kokoro-scan-") as tmp, _scratch_xnnpack_cache(Path(tmp) / "cache"):
        work = Path(tmp)
        # the converted graphs with their names (which select the groups) and the runtime's metadata record
        base = variant_bundle(fp32_dir, work / "fp32", {g: fp32_dir / f"{g}.tflite" for g in GRAPHS}, keep_names=True)
        probe = Probe(base, threads)
        variants = _Variants(work, base)

        def trial(plan: dict[str, dict[str, str]]) -> dict:
            return probe.measure(*variants.bundle(plan))

        return select_plan(groups, trial, log, measured)
