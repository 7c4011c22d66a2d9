"""The parity gate: LiteRT bundle vs hexgrad's PyTorch KModel on held-out sentences.

For every bucket it speaks cases at the shortest and the longest true lengths that land in it,
with the same phonemes, voice row and source noise on both sides, and records: durations equal,
max abs error of each graph on identical inputs, and end-to-end magnitude-spectrogram correlation
and log-mel distance. A failing case names its graph and bucket; the build then exits non-zero.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from kokoro_litert.cache import atomic_path, sha256_file
from kokoro_litert.errors import ConversionError, KokoroLiteRTError
from kokoro_litert.runtime import dsp
from kokoro_litert.runtime.bundle import MANIFEST, Bundle
from kokoro_litert.runtime.manifest import read as read_manifest
from kokoro_litert.runtime.manifest import write as write_manifest
from kokoro_litert.runtime.engine import Engine
from kokoro_litert.runtime.g2p import G2P
from kokoro_litert.runtime.tokenizer import BOUNDARY_ID, Tokenizer
from kokoro_litert.runtime.voices import load_npz, style_for

from . import fidelity
from .reference import reference_predictor, reference_speech

# Thresholds by bundle precision. Float bundles must match PyTorch: every rounded duration, each
# graph's max abs error on identical inputs (fp16 vocoder weights, magnitudes up to ~20, move it by
# ~1e-2), and end-to-end magnitude-spectrogram correlation per case. Quantized bundles differ from
# PyTorch by design: they are held end to end with PyTorch's durations forced (correlation and
# log-mel per case: the spectral difference alone) and by the share of token durations that round
# the same over all cases (the timing difference); per-graph errors are recorded, not bounded.
# mixed: corr >= 0.99 and log-mel <= 1.5 dB per case at PyTorch's durations, >= 97 % of durations
# equal. The dynamic-int8 vocoder's damage grows with length and slowness: on the default buckets
# the gate's cases measure 0.34-0.96 dB up to 250 frames and 0.9-1.27 dB at 300-511 frames and speeds
# 0.58-1.0 (the scan's calibration sentences, at most 32 tokens: 0.47 dB). int8: a sanity bound
# only; the int8 bundle is a point on the size/quality frontier, not a fidelity claim.
GATE = {
    "fp32": {"magspec_corr": 0.9995, "durations_equal": 1.0,
             "max_abs": {"predictor": 1e-3, "prosody": 1e-2, "vocoder": 1e-2}},
    "fp16": {"magspec_corr": 0.9995, "durations_equal": 1.0,
             "max_abs": {"predictor": 1e-3, "prosody": 1e-2, "vocoder": 5e-2}},
    # mixed keeps the duration path fp32 (converter/sensitivity.py): durations exactly as fp32's
    "mixed": {"magspec_corr": 0.99, "logmel_db": 1.5, "durations_equal": 1.0, "max_abs": None},
    "int8": {"magspec_corr": 0.9, "logmel_db": 3.0, "durations_equal": 0.8, "max_abs": None, "aligned": True},
}
VOICE = "af_heart"
PARITY = "parity.json"  # the gate's report, beside the manifest


def held_out_ids(tokenizer: Tokenizer) -> list[int]:
    text = resources.files(__package__).joinpath("parity_sentences.txt").read_text()
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    g2p = G2P()
    return tokenizer.encode(" ".join(g2p.phonemize(line) for line in lines))


@dataclass
class Case:
    tokens: int  # model input length, boundary tokens included
    speed: float


class CasePlanner:
    """Chooses (token count, speed) so that a case lands at a wanted token or frame length."""

    def __init__(self, kmodel, ids: list[int], pack: np.ndarray):
        self.kmodel, self.ids, self.pack = kmodel, ids, pack
        self._durations: dict[int, np.ndarray] = {}

    def input_ids(self, tokens: int) -> list[int]:
        return [BOUNDARY_ID, *self.ids[: tokens - 2], BOUNDARY_ID]

    def durations(self, tokens: int) -> np.ndarray:
        if tokens not in self._durations:
            ids = torch.tensor([self.input_ids(tokens)])
            style = torch.from_numpy(style_for(self.pack, tokens - 2))
            self._durations[tokens] = reference_predictor(self.kmodel, ids, style)["durations"][0].numpy()
        return self._durations[tokens]

    def frames(self, tokens: int, speed: float) -> int:
        return int(dsp.durations_to_frames(self.durations(tokens), speed).sum())

    def speed_for(self, tokens: int, lo: int, hi: int) -> float | None:
        """A speed in [0.5, 2] that puts the frame count in [lo, hi], by bisection."""
        fast, slow = 2.0, 0.5
        if self.frames(tokens, fast) > hi or self.frames(tokens, slow) < lo:
            return None
        for _ in range(30):
            mid = (fast + slow) / 2
            f = self.frames(tokens, mid)
            if lo <= f <= hi:
                return round(mid, 4) if lo <= self.frames(tokens, round(mid, 4)) <= hi else mid
            fast, slow = (mid, slow) if f < lo else (fast, mid)
        return None

    def for_frames(self, lo: int, hi: int, max_tokens: int) -> Case | None:
        tokens = 3
        while tokens < max_tokens and self.frames(tokens, 1.0) < lo:
            tokens = min(max_tokens, tokens * 2)
        # narrow down to the smallest token count that reaches lo at speed 1
        low = max(3, tokens // 2)
        while low < tokens:
            mid = (low + tokens) // 2
            low, tokens = (mid + 1, tokens) if self.frames(mid, 1.0) < lo else (low, mid)
        for t in (tokens, max(3, tokens - 1), min(max_tokens, tokens + 1)):
            speed = self.speed_for(t, lo, hi)
            if speed is not None:
                return Case(t, speed)
        return None

    def for_tokens(self, tokens: int, max_frames: int) -> Case:
        if self.frames(tokens, 1.0) <= max_frames:
            return Case(tokens, 1.0)
        speed = self.speed_for(tokens, 1, max_frames)
        return Case(tokens, speed if speed is not None else 2.0)


def plan_cases(planner: CasePlanner, bundle: Bundle) -> list[Case]:
    cases, prev = [], 2
    for t in bundle.tokens:
        cases += [planner.for_tokens(prev + 1, bundle.frames[-1]), planner.for_tokens(t, bundle.frames[-1])]
        prev = t
    prev = 0
    for f in bundle.frames:
        span = f - prev
        for lo, hi in ((prev + 1, prev + max(1, span // 5)), (f - max(0, span // 8), f)):
            case = planner.for_frames(lo, hi, bundle.tokens[-1])
            if case is not None:
                cases.append(case)
        prev = f
    unique = {(c.tokens, c.speed): c for c in cases}
    return sorted(unique.values(), key=lambda c: (c.tokens, c.speed))


def _max_abs(a: dict, b: dict, keys) -> float:
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in keys)


def speak_both(engine: Engine, kmodel, ids: list[int], style: np.ndarray, speed: float, seed: int = 0):
    """One chunk through the LiteRT engine and through the PyTorch reference, with the same seeded
    source noise turned into the same source STFT by the host. Returns (utterance, reference
    outputs as numpy without the batch axis, noise_for(samples))."""
    noise_cache: dict[int, dsp.SourceNoise] = {}

    def noise_for(samples: int) -> dsp.SourceNoise:
        if samples not in noise_cache:
            noise_cache[samples] = dsp.SourceNoise.draw(np.random.default_rng(seed), samples)
        return noise_cache[samples]

    def source_fn(f0: np.ndarray) -> np.ndarray:
        return engine.source_stft(f0, noise_for(len(f0) * dsp.UPSAMPLE_SCALE))

    input_ids = [BOUNDARY_ID, *ids, BOUNDARY_ID]
    ref = reference_speech(kmodel, torch.tensor([input_ids]), torch.from_numpy(style), source_fn, speed)
    ref = {k: v.numpy() if k == "durations" else v[0].numpy() for k, v in ref.items()}
    # Noise for LiteRT's own frame count: identical to the reference's whenever the durations agree.
    durations = dsp.durations_to_frames(engine.predict(input_ids, style)["durations"], speed)
    frames = int(durations.sum())
    if frames > engine.bundle.frames[-1]:
        # A quantized predictor can overrun the largest bucket that PyTorch's durations fit: speak at
        # PyTorch's durations and keep LiteRT's own for the duration share.
        frames = int(ref["durations"].sum())
        lite = engine.speak(ids, style, speed, noise=noise_for(2 * frames * dsp.UPSAMPLE_SCALE), keep_stages=True,
                            durations=ref["durations"])
        lite.durations = durations
        return lite, ref, noise_for
    lite = engine.speak(ids, style, speed, noise=noise_for(2 * frames * dsp.UPSAMPLE_SCALE), keep_stages=True)
    return lite, ref, noise_for


def run_case(engine: Engine, kmodel, planner: CasePlanner, case: Case, seed: int = 0) -> dict:
    input_ids = planner.input_ids(case.tokens)
    style = style_for(planner.pack, case.tokens - 2)
    lite, ref, noise_for = speak_both(engine, kmodel, input_ids[1:-1], style, case.speed, seed)
    frames = int(ref["durations"].sum())

    # Each graph on the reference's own inputs, so its error is its own.
    pred = engine.predict(input_ids, style)
    ref_pred = {"durations": ref["durations_float"], "d": ref["d"], "t_en": ref["t_en"]}
    idx = dsp.alignment_index(ref["durations"])
    pros = engine.prosody_f0n(ref["d"][idx], style)
    source = engine.source_stft(ref["f0"], noise_for(2 * frames * dsp.UPSAMPLE_SCALE))
    magnitude, phase = engine.vocode(ref["t_en"][:, idx], ref["f0"], ref["n"], source, style)

    metrics = fidelity.compare(lite.audio, ref["audio"])
    # The same with PyTorch's durations forced: the spectral difference alone (a duration that
    # rounds the other way shifts every later frame; the duration share counts that separately).
    # With equal durations that is the run above, input for input.
    durations_equal = bool(np.array_equal(lite.durations, ref["durations"]))
    aligned_metrics = metrics
    if not durations_equal:
        aligned = engine.speak(input_ids[1:-1], style, case.speed, noise=noise_for(2 * frames * dsp.UPSAMPLE_SCALE),
                               durations=ref["durations"])
        aligned_metrics = fidelity.compare(aligned.audio, ref["audio"])
    return {
        "tokens": case.tokens,
        "frames": frames,
        "speed": case.speed,
        "T": engine.bundle.pick_tokens(case.tokens),
        "L": engine.bundle.pick_frames(frames),
        "prosody_L": engine.bundle.pick_frames(frames, "prosody"),
        "durations_equal": durations_equal,
        "durations_same": int(np.sum(lite.durations == ref["durations"])),
        "magspec_corr": metrics["magspec_corr"],
        "logmel_db": metrics["logmel_db"],
        "logmel_db_p99": metrics["logmel_db_p99"],
        "aligned": aligned_metrics,
        "max_abs": {
            "predictor": _max_abs(pred, ref_pred, ("durations", "d", "t_en")),
            "prosody": _max_abs(pros, ref, ("f0", "n")),
            "vocoder": _max_abs({"magnitude": magnitude, "phase": phase}, ref, ("magnitude", "phase")),
        },
    }


def thresholds(bundle: Bundle) -> dict:
    return GATE[bundle.manifest["precision"]]


def failures(case: dict, limits: dict) -> list[str]:
    where = f"T={case['T']}/L={case['L']} ({case['tokens']} tokens, {case['frames']} frames)"
    out = [f"{graph} {where}: max abs {err:.2e} > {limits['max_abs'][graph]:.0e}"
           for graph, err in case["max_abs"].items() if limits["max_abs"] and err > limits["max_abs"][graph]]
    if limits["durations_equal"] == 1.0 and not case["durations_equal"]:
        out.append(f"predictor {where}: rounded durations differ from PyTorch")
    measured, how = (case["aligned"], "at PyTorch's durations") if limits.get("aligned") else (case, "end-to-end")
    if measured["magspec_corr"] < limits["magspec_corr"]:
        out.append(f"{how} {where}: magspec corr {measured['magspec_corr']:.5f} < {limits['magspec_corr']}")
    if "logmel_db" in limits and measured["logmel_db"] > limits["logmel_db"]:
        out.append(f"{how} {where}: log-mel {measured['logmel_db']:.3f} dB > {limits['logmel_db']}")
    return out


def duration_share(results: list[dict]) -> float:
    """Share of all cases' tokens whose rounded duration equals PyTorch's."""
    return sum(r["durations_same"] for r in results) / sum(r["tokens"] for r in results)


def run_gate(bundle_dir: Path, kmodel, threads: int = 2, out=sys.stderr) -> dict:
    """Run every case, write parity.json beside the manifest, print a table; raise on failure."""
    bundle = Bundle(bundle_dir)
    engine = Engine(bundle, threads=threads)
    tokenizer = Tokenizer(bundle.vocab)
    pack = load_npz(bundle.voices_path).get(VOICE)
    planner = CasePlanner(kmodel, held_out_ids(tokenizer), pack)
    cases = plan_cases(planner, bundle)
    results = [run_case(engine, kmodel, planner, c) for c in tqdm(cases, desc="parity", file=out, disable=None)]
    report = {
        "graphs": _graph_hashes(bundle),
        "voice": VOICE,
        "thresholds": thresholds(bundle),
        "buckets": [
            {"T": t, "L": f, "cases": [r for r in results if (r["T"], r["L"]) == (t, f)]}
            for t, f in sorted({(r["T"], r["L"]) for r in results})
        ],
    }
    problems = [p for r in results for p in failures(r, report["thresholds"])]
    report["durations_equal"] = duration_share(results)
    if report["durations_equal"] < report["thresholds"]["durations_equal"]:
        problems.append(f"predictor: {report['durations_equal']:.3f} of token durations equal PyTorch's "
                        f"< {report['thresholds']['durations_equal']}")
    report["passed"] = not problems
    with atomic_path(bundle.dir / PARITY) as tmp:
        tmp.write_text(json.dumps(report, indent=1))
    record_gate(bundle.dir, "passed" if report["passed"] else "failed")
    print_table(results, out)
    if problems:
        raise ConversionError("parity gate failed:\n  " + "\n  ".join(problems))
    return report


def _graph_hashes(bundle: Bundle) -> dict[str, str]:
    return {name: entry["sha256"] for name, entry in bundle.manifest["graphs"].items()}


def record_gate(bundle_dir: Path, status: str) -> None:
    """Write the gate's outcome into the manifest: ``passed`` or ``failed`` (with parity.json's
    sha256) or ``skipped`` (``build --skip-gate``; the runtime then warns on load)."""
    path = Path(bundle_dir) / MANIFEST
    manifest = read_manifest(path)
    manifest["gate"] = {"status": status}
    if status != "skipped":
        manifest["gate"].update(file=PARITY, sha256=sha256_file(Path(bundle_dir) / PARITY))
    write_manifest(path, manifest)


def gate_is_current(bundle_dir: Path) -> bool:
    """True when parity.json is a passed gate of exactly these graph files under these thresholds,
    so a rebuild that reused every graph from the cache need not run the gate again."""
    try:
        report = json.loads((Path(bundle_dir) / PARITY).read_text())
        bundle = Bundle(bundle_dir, verify=False)
    except (OSError, ValueError, KokoroLiteRTError):
        return False
    return bool(
        report.get("passed")
        and report.get("graphs") == _graph_hashes(bundle)
        and report.get("thresholds") == thresholds(bundle)
    )


def print_table(results: list[dict], out=sys.stderr) -> None:
    print(f"{'T':>4} {'L':>4} {'tok':>4} {'frm':>4} {'speed':>6} {'dur=':>5} {'corr':>9} {'logmel dB':>9}"
          f" {'pred':>8} {'pros':>8} {'voc':>8}", file=out)
    for r in results:
        m = r["max_abs"]
        print(f"{r['T']:>4} {r['L']:>4} {r['tokens']:>4} {r['frames']:>4} {r['speed']:>6.3f} "
              f"{'yes' if r['durations_equal'] else 'NO':>5} {r['magspec_corr']:>9.6f} {r['logmel_db']:>9.4f}"
              f" {m['predictor']:>8.1e} {m['prosody']:>8.1e} {m['vocoder']:>8.1e}", file=out)
