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
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from kokoro_litert.buckets import BucketSpec
from kokoro_litert.cache import atomic_path, cache_dir, sha256_file
from kokoro_litert.errors import ConversionError
from kokoro_litert.native import quiet_native_logs
from kokoro_litert.runtime.bundle import (FORMAT_VERSION, GRAPHS, MANIFEST, METADATA_KEY, frame_signature, graph_metadata,
                                          token_signature)
from kokoro_litert.runtime.manifest import write as write_manifest
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


def convert_graph(job: GraphJob, dest: Path, verbose: bool = False) -> float:
    """Convert one graph (all its bucket signatures) to ``dest``; returns the seconds it took."""
    start = time.perf_counter()
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
    return time.perf_counter() - start


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# Relative conversion cost per signature (measured: the unrolled LSTMs cost per step; the
# vocoder per bucket): the longest jobs start first so the workers finish together.
def _conversion_cost(job: GraphJob) -> float:
    sizes = [int(name[1:]) for name in job.signatures]
    per_step = {"predictor": 2.0, "prosody": 0.35, "vocoder": 0.0}[job.name]
    return per_step * sum(sizes) + (35.0 * len(sizes) if job.name == "vocoder" else 10.0)


def _quiet_worker(verbose: bool) -> None:
    """Conversion workers print torch/torchao import noise while unpickling their job: mute them
    (a failure still comes back as the job's exception)."""
    if not verbose:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.close(devnull)


def convert_jobs(todo: list[tuple[GraphJob, Path]], verbose: bool, log) -> dict[str, float]:
    """Convert graphs in parallel worker processes (one core each; conversion is single-threaded).

    Returns seconds per graph name. Ctrl-C stops the workers; finished graphs stay cached, and
    unfinished ones leave nothing behind (each is written to a temporary name first)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    todo = sorted(todo, key=lambda item: -_conversion_cost(item[0]))
    workers = min(len(todo), _usable_cpus())
    if workers <= 1:
        return {job.name: convert_graph(job, dest, verbose) for job, dest in todo}
    seconds = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_quiet_worker, initargs=(verbose,)) as pool:
        futures = {pool.submit(convert_graph, job, dest, verbose): job for job, dest in todo}
        for future in as_completed(futures):
            job = futures[future]
            seconds[job.name] = future.result()
            log(f"converted {job.name} [{' '.join(job.signatures)}] in {seconds[job.name]:.0f} s")
    return seconds


PRECISIONS = ("fp32", "fp16", "int8", "mixed")
# fp16: only the vocoder (2/3 of the bytes) takes fp16 weights. The predictor's durations are
# rounded to whole frames and the prosody graph's F0 drives the sine source: half-precision
# weights there moved F0 by up to 0.16 Hz and cost 0.2 dB log-mel end to end.
# int8: every layer group of sensitivity.MIN_WEIGHTS weights or more dynamic-range int8 (the small
# first and last layers stay fp32: in int8 they alone cost 1.5 dB of the 2.7 dB of an all-int8
# bundle). mixed: each group int8 or fp32, chosen by the sensitivity scan.
COMPACT = ("int8", "mixed")  # these also store the voices in float16


PACKAGED_PLAN = "mixed_plan.json"  # the scan's result for the pinned weights, shipped with the converter


def precision_plan(precision: str, fp32_dir: Path, threads: int, log, weights_sha256: str = "",
                   rescan: bool = False) -> dict:
    """``{"plan": {graph: {group: precision}}, ...}`` for a bundle precision.

    mixed: the packaged plan when it was scanned on these weights and names exactly these layer
    groups (a build is then as fast as fp32's); else, or with ``rescan``, the sensitivity scan,
    cached by the fp32 graphs' hashes and the scan's own sources."""
    from . import quantize, sensitivity

    groups = {g: quantize.layer_groups(fp32_dir / f"{g}.tflite") for g in GRAPHS}
    if precision == "fp16":
        return {"plan": {"vocoder": {name: "fp16" for name in groups["vocoder"]}}}
    if precision == "int8":
        return {"plan": {g: {name: "int8" if lg.weights >= sensitivity.MIN_WEIGHTS else "fp32"
                             for name, lg in groups[g].items()} for g in GRAPHS}}
    packaged = json.loads(resources.files(__package__).joinpath(PACKAGED_PLAN).read_text())
    names = {g: sorted(groups[g]) for g in GRAPHS}
    if not rescan and packaged.get("weights_sha256") == weights_sha256 and \
            {g: sorted(packaged["plan"].get(g, {})) for g in GRAPHS} == names:
        log(f"mixed precision: the packaged plan ({PACKAGED_PLAN}, scanned on {packaged.get('scanned_on')})")
        return packaged
    from importlib.metadata import version

    h = hashlib.sha256(version("ai-edge-quantizer").encode())
    for g in GRAPHS:
        h.update(sha256_file(fp32_dir / f"{g}.tflite").encode())
    for module in (quantize, sensitivity):
        h.update(Path(module.__file__).read_bytes())
    h.update(resources.files(__package__).joinpath("calibration_sentences.txt").read_bytes())
    cached = cache_dir("scans") / f"{h.hexdigest()[:20]}.json"
    if cached.is_file():
        log(f"sensitivity scan: reusing {cached}")
        return json.loads(cached.read_text())
    record = sensitivity.scan(fp32_dir, threads=threads, log=log)
    record["weights_sha256"] = weights_sha256
    with atomic_path(cached) as tmp:
        tmp.write_text(json.dumps(record, indent=1))
    log(f"sensitivity scan written to {cached} (to ship it as the packaged plan: copy it to converter/{PACKAGED_PLAN})")
    return record


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


def graph_entry(path: Path) -> dict:
    """A graph file's manifest entry: name, size, sha256 and every signature's inputs/outputs."""
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path),
            "signatures": _signature_table(path)}


def finalize_graph(src: Path, dest: Path, metadata: dict, strip_names: bool = True) -> None:
    """``src`` as it ships: without the names of its internal tensors, and with ``metadata`` (format,
    graph, signatures, weights sha256) stored in the file under ``METADATA_KEY``, which
    the runtime checks against the manifest on load. The exported names carry every op's module path
    (what ``quantize.layer_groups`` reads) and are 10-25 % of a converted file (default fp32 bundle:
    22 MB); the runtime needs only the signatures' own names, which stay. The graph cache keeps the
    named files (``strip_names=False``: a named file the runtime accepts, as the sensitivity scan
    needs)."""
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(src)
    keep = {(sig.subgraphIndex, t.tensorIndex) for sig in model.signatureDefs or []
            for t in [*(sig.inputs or []), *(sig.outputs or [])]}
    for s, subgraph in enumerate(model.subgraphs if strip_names else []):
        for t, tensor in enumerate(subgraph.tensors):
            if (s, t) not in keep:
                tensor.name = None
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(json.dumps(metadata, sort_keys=True).encode(), np.uint8)
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name, entry.buffer = METADATA_KEY, len(model.buffers) - 1
    model.metadata = [m for m in model.metadata or [] if m.name != METADATA_KEY.encode()] + [entry]
    with atomic_path(dest) as tmp:
        flatbuffer_utils.write_model(model, tmp)


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
    threads: int = 2,
    rescan: bool = False,
    log=lambda line: print(line, file=sys.stderr),
) -> list[dict]:
    """Convert (or reuse from the cache) every graph, quantize them to ``precision``
    (``PRECISIONS``), write voices.npz and manifest.json. ``kmodel`` must already have its weight
    norm stripped. Returns one summary row per file."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST).unlink(missing_ok=True)  # the bundle is invalid until the new manifest lands
    jobs = graph_jobs(kmodel, spec)
    cached = {job.name: cache_dir("graphs") / f"{job.name}-{_cache_key(job, ckpt.sha256)[:20]}.tflite" for job in jobs}
    todo = [(job, cached[job.name]) for job in jobs if not cached[job.name].is_file()]
    for job in jobs:
        state = "to convert" if any(j is job for j, _ in todo) else "cached"
        log(f"{job.name} [{' '.join(job.signatures)}]: {state}")
    seconds = convert_jobs(todo, verbose, log) if todo else {}
    rows = {job.name: {"file": f"{job.name}.tflite", "buckets": list(job.signatures),
                       "seconds": seconds.get(job.name, 0.0), "cached": job.name not in seconds} for job in jobs}
    for job in jobs:
        _place(cached[job.name], out_dir / f"{job.name}.tflite")
    bank = _voice_bank(ckpt)
    text = text_files(out_dir, log)
    _write_manifest(out_dir, ckpt, kmodel, spec, bank, text, "fp32", {})  # a complete fp32 bundle first

    quantization, sources = {}, dict(cached)  # graph -> the named file its bundle graph comes from
    if precision != "fp32":
        start = time.perf_counter()
        quantization = precision_plan(precision, out_dir, threads, log, ckpt.sha256, rescan)
        from .quantize import quantize_graph

        for graph, plan in quantization["plan"].items():
            key = hashlib.sha256(json.dumps(plan, sort_keys=True).encode()).hexdigest()[:12]
            sources[graph] = cached[graph].with_name(f"{cached[graph].stem}-{key}.tflite")
            if not sources[graph].is_file():
                quantize_graph(cached[graph], sources[graph], plan, verbose)
        log(f"quantized to {precision} in {time.perf_counter() - start:.0f} s")
    start = time.perf_counter()
    for job in jobs:
        meta = graph_metadata(job.name, job.signatures, ckpt.sha256)
        key = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()[:12]
        final = sources[job.name].with_name(f"{sources[job.name].stem}-ship-{key}.tflite")
        if not final.is_file():
            finalize_graph(sources[job.name], final, meta)
        _place(final, out_dir / f"{job.name}.tflite")
    log(f"tensor names stripped and metadata written in {time.perf_counter() - start:.0f} s")
    _write_manifest(out_dir, ckpt, kmodel, spec, bank, text, precision, quantization)
    manifest = json.loads((out_dir / MANIFEST).read_text())
    for graph, row in rows.items():
        row["bytes"] = manifest["graphs"][graph]["bytes"]
    others = [manifest["voices"], *manifest["text"].values()]
    return [*rows.values(), *({"file": e["file"], "bytes": e["bytes"], "buckets": [], "seconds": 0.0, "cached": False}
                              for e in others)]


def text_files(out_dir: Path, log=lambda line: None) -> dict:
    """The files of the Java front-end (android_demo): misaki's lexicons in one compact file, and
    the neural G2P graph that spells words the lexicons lack, each with its manifest entry."""
    from .g2p_graph import export_g2p_graph
    from .lexicon import FILE_NAME, export_lexicon

    start = time.perf_counter()
    text = {"lexicon": export_lexicon(out_dir / FILE_NAME), "g2p": export_g2p_graph(out_dir)}
    log(f"lexicon and G2P graph written in {time.perf_counter() - start:.0f} s")
    return text


def _write_manifest(out_dir: Path, ckpt: Checkpoint, kmodel, spec: BucketSpec, bank: VoiceBank, text: dict,
                    precision: str, quantization: dict) -> None:
    (out_dir / MANIFEST).unlink(missing_ok=True)
    voices = out_dir / "voices.npz"
    save_npz(bank, voices, dtype="float16" if precision in COMPACT else "float32")
    gen = kmodel.decoder.generator
    manifest = {
        "format": FORMAT_VERSION,
        "model": {"id": "hexgrad/Kokoro-82M", "version": "1.0", "weights_source": ckpt.source,
                  "weights_sha256": ckpt.sha256, "parameters_matched": ckpt.matched, "parameters_total": ckpt.total},
        "precision": precision,
        "quantization": quantization,
        "buckets": {"tokens": list(spec.tokens), "prosody_frames": list(spec.prosody_frames), "frames": list(spec.frames)},
        "graphs": {g: graph_entry(out_dir / f"{g}.tflite") for g in GRAPHS},
        "voices": {"file": voices.name, "bytes": voices.stat().st_size, "sha256": sha256_file(voices),
                   "names": bank.names(), "shape": [510, STYLE], "dtype": "float16" if precision in COMPACT else "float32"},
        "text": text,
        "vocab": ckpt.config["vocab"],
        "audio": {"sample_rate": 24000, "n_fft": gen.post_n_fft, "hop": int(gen.stft.hop_length),
                  "samples_per_frame": 600, "source_frames_per_frame": graphs.source_frames_per_frame(kmodel)},
        "source": {"harmonics": 8, "sine_amp": 0.1, "noise_std": 0.003, "voiced_threshold": 10,
                   "l_linear_weight": gen.m_source.l_linear.weight.detach().reshape(-1).tolist(),
                   "l_linear_bias": gen.m_source.l_linear.bias.detach().reshape(-1).tolist()},
        "versions": _versions(),
        "gate": {"status": "not run"},  # parity.record_gate: passed / failed / skipped
    }
    write_manifest(out_dir / MANIFEST, manifest)


def print_summary(rows: list[dict], out=sys.stderr) -> None:
    print(f"{'file':<18}{'size':>10}  {'time':>8}  buckets", file=out)
    for r in rows:
        when = "cached" if r["cached"] else f"{r['seconds']:.0f} s"
        print(f"{r['file']:<18}{r['bytes'] / 1e6:>8.1f} MB  {when:>8}  {' '.join(r['buckets'])}", file=out)
