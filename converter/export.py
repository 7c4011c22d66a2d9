"""``kokoro-litert build``: weights -> three .tflite graphs (one signature per bucket) + manifest.

Each graph file is converted once per content hash (weights, bucket sizes, converter sources and
tool versions) into the cache, then hard-linked or copied into the bundle, so a rebuild with the
same inputs is instant and an interrupted build resumes at the graph it stopped in.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from kokoro_litert.buckets import BucketSpec
from kokoro_litert.cache import atomic_path, cache_dir, sha256_file
from kokoro_litert.errors import ConversionError
from kokoro_litert.native import quiet_native_logs
from kokoro_litert.runtime.bundle import FORMAT_VERSION, MANIFEST, frame_signature, token_signature
from kokoro_litert.runtime.voices import VoiceBank, load_voice_file, save_npz

from . import graphs, masked, sources
from .weights import Checkpoint

STYLE = 256
SOURCE_CHANNELS = 22  # magnitude + phase of the 20-point STFT


@dataclass
class GraphJob:
    name: str
    module: torch.nn.Module
    signatures: dict[str, dict[str, torch.Tensor]]  # signature name -> sample inputs


def sample_inputs(graph: str, size: int, spf: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    mask = torch.ones(1, size)
    style = torch.randn(1, STYLE, generator=g)
    if graph == "predictor":
        return {"tokens": torch.zeros(1, size, dtype=torch.int32), "token_mask": mask, "style": style}
    if graph == "prosody":
        return {"d_frames": torch.randn(1, size, 640, generator=g), "style": style, "frame_mask": mask}
    return {
        "asr": torch.randn(1, 512, size, generator=g),
        "f0": torch.rand(1, 2 * size, generator=g) * 200,
        "n": torch.randn(1, 2 * size, generator=g),
        "source": torch.randn(1, SOURCE_CHANNELS, spf * size + 1, generator=g),
        "style": style,
        "frame_mask": mask,
    }


def graph_jobs(kmodel: torch.nn.Module, spec: BucketSpec) -> list[GraphJob]:
    spf = graphs.source_frames_per_frame(kmodel)
    return [
        GraphJob("predictor", graphs.PredictorGraph(kmodel).eval(),
                 {token_signature(t): sample_inputs("predictor", t, spf) for t in spec.tokens}),
        GraphJob("prosody", graphs.ProsodyGraph(kmodel).eval(),
                 {frame_signature(f): sample_inputs("prosody", f, spf) for f in spec.prosody_frames}),
        GraphJob("vocoder", graphs.VocoderGraph(kmodel).eval(),
                 {frame_signature(f): sample_inputs("vocoder", f, spf) for f in spec.frames}),
    ]


def _cache_key(job: GraphJob, weights_sha: str) -> str:
    from importlib.metadata import version

    h = hashlib.sha256()
    for part in (weights_sha, job.name, ",".join(job.signatures), version("litert-torch"), torch.__version__):
        h.update(part.encode() + b"\0")
    for module in (graphs, masked):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()


def convert_graph(job: GraphJob, dest: Path, verbose: bool = False) -> None:
    os.environ.setdefault("LITERT_TORCH_SHOW_PROGRESS", "y" if verbose else "n")
    with quiet_native_logs(verbose), torch.no_grad():
        import litert_torch  # its import prints native warnings too

        converter = litert_torch.Converter()
        for name, inputs in job.signatures.items():
            converter.signature(name, job.module, sample_kwargs=inputs)
        try:
            model = converter.convert()
        except Exception as e:  # the converter raises many types; report which graph failed
            raise ConversionError(f"{job.name}: conversion failed: {e}") from e
        with atomic_path(dest) as tmp:
            model.export(str(tmp))


PRECISIONS = ("fp32", "fp16")
# Only the vocoder (2/3 of the bytes) takes fp16 weights. The predictor's durations are rounded to
# whole frames and the prosody graph's F0 drives the sine source: half-precision weights moved
# F0 by up to 0.16 Hz and cost 0.2 dB log-mel end to end, against 0.004 dB for the vocoder alone.
FP16_GRAPHS = ("vocoder",)


def cast_weights_fp16(src: Path, dest: Path, verbose: bool = False) -> None:
    """fp16 weights, fp32 compute: half the file; XNNPACK unpacks to fp32 at load, so speed is unchanged."""
    from ai_edge_quantizer import qtyping, quantizer

    with quiet_native_logs(verbose):
        qt = quantizer.Quantizer(str(src))
        qt.add_weight_only_config(
            regex=".*", operation_name=qtyping.TFLOperationName.ALL_SUPPORTED, num_bits=16, algorithm_key="float_casting"
        )
        with atomic_path(dest) as tmp:
            qt.quantize().export_model(str(tmp), overwrite=True)


def _signature_table(path: Path) -> dict:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    table = {}
    for name in interpreter.get_signature_list():
        runner = interpreter.get_signature_runner(name)

        def describe(details):
            return {k: {"shape": [int(x) for x in v["shape"]], "dtype": np.dtype(v["dtype"]).name} for k, v in details.items()}

        table[name] = {"inputs": describe(runner.get_input_details()), "outputs": describe(runner.get_output_details())}
    return table


def _place(src: Path, dest: Path) -> None:
    dest.unlink(missing_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def _voice_bank(ckpt: Checkpoint) -> VoiceBank:
    files = ckpt.voices or sources.fetch_voices()
    return VoiceBank({name: load_voice_file(path) for name, path in sorted(files.items())})


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {pkg: version(pkg) for pkg in ("kokoro-litert", "litert-torch", "torch", "ai-edge-litert")} | {
        "runtime_format": str(FORMAT_VERSION)
    }


def build_bundle(
    ckpt: Checkpoint,
    kmodel: torch.nn.Module,
    spec: BucketSpec,
    out_dir: Path,
    verbose: bool = False,
    precision: str = "fp32",
) -> list[dict]:
    """Convert (or reuse from the cache) every graph, write voices.npz and manifest.json.

    ``kmodel`` must already have its weight norm stripped. ``precision`` "fp16" stores the vocoder's
    weights in half precision (it still computes in fp32). Returns one summary row per file.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST).unlink(missing_ok=True)  # the bundle is invalid until the new manifest lands
    rows, entries = [], {}
    jobs = graph_jobs(kmodel, spec)
    bar = tqdm(jobs, desc="graphs", unit="graph", file=sys.stderr, disable=None)
    for job in bar:
        bar.set_description(f"{job.name} ({len(job.signatures)} buckets)")
        cached = cache_dir("graphs") / f"{job.name}-{_cache_key(job, ckpt.sha256)[:20]}.tflite"
        start = time.perf_counter()
        reused = cached.is_file()
        if not reused:
            convert_graph(job, cached, verbose)
        if precision == "fp16" and job.name in FP16_GRAPHS:
            fp32, cached = cached, cached.with_name(f"{cached.stem}-fp16.tflite")
            if not cached.is_file():
                cast_weights_fp16(fp32, cached, verbose)
        dest = out_dir / f"{job.name}.tflite"
        _place(cached, dest)
        entries[job.name] = {
            "file": dest.name,
            "bytes": dest.stat().st_size,
            "sha256": sha256_file(dest),
            "signatures": _signature_table(dest),
        }
        rows.append({"file": dest.name, "bytes": dest.stat().st_size, "buckets": list(job.signatures),
                     "seconds": time.perf_counter() - start, "cached": reused})

    bank = _voice_bank(ckpt)
    voices = out_dir / "voices.npz"
    save_npz(bank, voices)
    rows.append({"file": voices.name, "bytes": voices.stat().st_size, "buckets": [], "seconds": 0.0, "cached": False})

    gen = kmodel.decoder.generator
    manifest = {
        "format": FORMAT_VERSION,
        "model": {"id": "hexgrad/Kokoro-82M", "version": "1.0", "weights_source": ckpt.source,
                  "weights_sha256": ckpt.sha256, "parameters_matched": ckpt.matched, "parameters_total": ckpt.total},
        "precision": precision,
        "buckets": {"tokens": list(spec.tokens), "prosody_frames": list(spec.prosody_frames), "frames": list(spec.frames)},
        "graphs": entries,
        "voices": {"file": voices.name, "bytes": voices.stat().st_size, "sha256": sha256_file(voices),
                   "names": bank.names(), "shape": [510, STYLE]},
        "vocab": ckpt.config["vocab"],
        "audio": {"sample_rate": 24000, "n_fft": gen.post_n_fft, "hop": int(gen.stft.hop_length),
                  "samples_per_frame": 600, "source_frames_per_frame": graphs.source_frames_per_frame(kmodel)},
        "source": {"harmonics": 8, "sine_amp": 0.1, "noise_std": 0.003, "voiced_threshold": 10,
                   "l_linear_weight": gen.m_source.l_linear.weight.detach().reshape(-1).tolist(),
                   "l_linear_bias": gen.m_source.l_linear.bias.detach().reshape(-1).tolist()},
        "versions": _versions(),
    }
    with atomic_path(out_dir / MANIFEST) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1))
    return rows


def print_summary(rows: list[dict], out=sys.stderr) -> None:
    print(f"{'file':<18}{'size':>10}  {'time':>8}  buckets", file=out)
    for r in rows:
        when = "cached" if r["cached"] else f"{r['seconds']:.0f} s"
        print(f"{r['file']:<18}{r['bytes'] / 1e6:>8.1f} MB  {when:>8}  {' '.join(r['buckets'])}", file=out)
