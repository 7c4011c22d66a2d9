"""``kokoro-litert serve``: an OpenAI-compatible speech server (FastAPI + uvicorn, the ``serve`` extra).

    POST /v1/audio/speech   {"model": "kokoro", "input": "...", "voice": "af_heart", "response_format": "wav",
                             "speed": 1.0, "stream_format": "audio"}
    POST /v1/audio/speech/timestamps   the same body -> {"audio": base64, "format", "sample_rate", "duration",
                             "words": [{"word", "start", "end"}]} (not OpenAI's: word timestamps, whole audio)
    GET  /v1/models, GET /v1/audio/voices, GET /health

The request fields are OpenAI's (``model``, ``input``, ``voice``, ``response_format``, ``speed``,
``stream_format``; ``instructions`` is accepted and ignored) plus two of Kokoro-FastAPI's:
``stream`` (default true; false returns one complete file with its exact length) and ``seed``
(default 0, as ``say``). Voices are the bundle's names or blends of them ("af_heart:0.7,am_michael:0.3";
never file paths). ``speed`` is Kokoro's 0.5-2.0 (OpenAI allows 0.25-4.0: outside Kokoro's range is
a 400). Formats: wav, pcm (raw s16le, 24 kHz, mono, as OpenAI's), and flac, mp3, opus where the
installed libsndfile writes them (>= 1.1 for mp3 and opus; checked at startup, otherwise a 400).

Streaming (the default, as OpenAI's ``stream_format: "audio"``): wav and pcm bytes go out with
chunked transfer as each piece of audio is ready (``Kokoro.stream``: the first sentence in pieces,
then one sentence at a time); a streamed wav has a header with open-ended (0xFFFFFFFF) lengths,
as OpenAI's does. flac, mp3 and opus need the whole signal to encode, so they are sent once
synthesis ends. ``stream_format: "sse"`` sends OpenAI's server-sent events instead
(``speech.audio.delta`` with base64 audio, then ``speech.audio.done``). Bad text is reported
before the first byte (the first piece is synthesised before the response starts); an error
after that ends the stream early (logged).

Errors use OpenAI's shape ``{"error": {"message", "type", "param", "code"}}``: 400 for a bad
model, voice, format, speed or empty/unspeakable input (and malformed requests), 401 for a wrong
or missing key when ``--api-key`` (or ``$KOKORO_LITERT_API_KEY``) is set (``Authorization: Bearer
KEY``, compared with ``hmac.compare_digest``; /health stays open), 413 for input longer than
``--max-input-chars`` (default 4096, OpenAI's limit), 503 with Retry-After when the queue is full.

Bounded work: one shared ``Kokoro`` (thread-safe: each graph runs under its own lock, so
concurrent requests pipeline through the three graphs), or ``--instances K`` of them, and a fixed
pool of ``--max-concurrency`` synthesis threads; at most ``--queue`` more requests wait for a
thread, beyond that 503. A worker hands audio to its response through a small bounded buffer, so a
slow client slows its own synthesis down rather than piling audio up in memory; a client that
disconnects (mid-stream, or while waiting for a complete file) makes its worker stop at the next
piece and frees it. Shutdown (Ctrl-C / SIGTERM) is uvicorn's: it stops accepting connections and
lets in-flight responses finish for up to ``--graceful-timeout`` seconds, then cancels them (their
workers stop at the next piece).
"""


import asyncio
import base64
import contextlib
import hmac
import io
import itertools
import json
import logging
import math
import os
import struct
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import KokoroLiteRTError, TextError, VoiceError

log = logging.getLogger("kokoro_litert.serve")

MODEL_ALIASES = ("kokoro", "tts-1", "tts-1-hd")
OPENAI_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")
# response_format -> (libsndfile major format, subtype) for the formats encoded by soundfile
SOUNDFILE_FORMATS = {"flac": ("FLAC", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III"), "opus": ("OGG", "OPUS")}
MEDIA_TYPES = {"wav": "audio/wav", "pcm": "audio/pcm", "flac": "audio/flac", "mp3": "audio/mpeg", "opus": "audio/ogg"}
STREAMABLE = ("wav", "pcm")  # sent piece by piece; the others once synthesis ends
DEFAULT_MAX_INPUT_CHARS = 4096
OPEN_ENDED = 0xFFFFFFFF
BUFFERED_PIECES = 4  # audio pieces a worker may get ahead of its client
DONE = object()
API_KEY_ENV = "KOKORO_LITERT_API_KEY"


# --------------------------------------------------------------------------------------------
# Audio encoding
# --------------------------------------------------------------------------------------------


def pcm16(samples: np.ndarray) -> bytes:
    """float32 [-1, 1] -> raw little-endian int16, as ``say --stream`` writes it."""
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def wav_header(sample_rate: int, data_bytes: int | None = None) -> bytes:
    """A 44-byte PCM_16 mono WAV header; ``data_bytes=None``: open-ended lengths for a stream."""
    riff = OPEN_ENDED if data_bytes is None else 36 + data_bytes
    data = OPEN_ENDED if data_bytes is None else data_bytes
    return (b"RIFF" + struct.pack("<I", riff) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
            + b"data" + struct.pack("<I", data))


def encode(samples: np.ndarray, sample_rate: int, fmt: str) -> bytes:
    """A complete file (or raw pcm) of ``samples`` in ``fmt``."""
    if fmt == "pcm":
        return pcm16(samples)
    if fmt == "wav":
        body = pcm16(samples)
        return wav_header(sample_rate, len(body)) + body
    import soundfile as sf

    major, subtype = SOUNDFILE_FORMATS[fmt]
    buf = io.BytesIO()
    sf.write(buf, np.asarray(samples, np.float32), sample_rate, format=major, subtype=subtype)
    return buf.getvalue()


def supported_formats(sample_rate: int = 24000) -> list[str]:
    """The response formats this machine can write: wav and pcm always; flac, mp3 and opus when
    the installed libsndfile writes them (probed by encoding a little silence)."""
    out = ["wav", "pcm"]
    try:
        import soundfile as sf

        available = sf.available_formats()
    except Exception:  # pragma: no cover - soundfile is a base dependency
        return out
    for fmt, (major, subtype) in SOUNDFILE_FORMATS.items():
        if major not in available or subtype not in sf.available_subtypes(major):
            continue
        try:
            if encode(np.zeros(sample_rate // 10, np.float32), sample_rate, fmt):
                out.append(fmt)
        except Exception:
            continue
    return out


# --------------------------------------------------------------------------------------------
# Errors in OpenAI's shape
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 type: str = "invalid_request_error", headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.type = status, message, param, code, type
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def check_voice(spec: Any, names: list[str] | set[str]) -> str:
    """A voice name or blend of the bundle's voices, normalised; anything else (file paths
    included: a client must not probe the server's files) is a 400."""
    if not isinstance(spec, str) or not spec.strip():
        raise ApiError(400, "voice is required: a voice name or a blend like 'af_heart:0.7,am_michael:0.3'",
                       "voice", "invalid_voice")
    known = set(names)
    parts = []
    for item in spec.split(","):
        name, sep, weight = item.strip().rpartition(":")
        if not sep:
            name, weight = weight, ""
        name = name.strip()
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else "; GET /v1/audio/voices lists them"
            raise ApiError(400, f"unknown voice '{name}'{hint}", "voice", "invalid_voice")
        if sep:
            try:
                w = float(weight)
            except ValueError:
                w = float("nan")
            if not math.isfinite(w) or w < 0:
                raise ApiError(400, f"voice blend '{spec}': the weight of '{name}' must be a number >= 0",
                               "voice", "invalid_voice")
        parts.append(f"{name}:{weight.strip()}" if sep else name)
    return ",".join(parts)


# --------------------------------------------------------------------------------------------
# Bounded synthesis: a fixed pool of worker threads, a bounded queue, cancellable jobs
# --------------------------------------------------------------------------------------------


class Job:
    """One request's synthesis. The worker thread ``put``s audio pieces (at most BUFFERED_PIECES
    ahead of the client) and then DONE or an exception; the event loop ``get``s them. Setting
    ``cancel`` makes the worker stop at its next piece."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.queue: asyncio.Queue = asyncio.Queue()
        self.room = threading.Semaphore(BUFFERED_PIECES)
        self.cancel = threading.Event()
        self.started = False
        self.future = None

    def put(self, item) -> bool:
        """Worker side: hand one piece over; False if the job was cancelled meanwhile."""
        while not self.room.acquire(timeout=0.2):
            if self.cancel.is_set():
                return False
        return not self.cancel.is_set() and self.finish(item)

    def finish(self, item) -> bool:
        """Worker side: the last item (DONE or an exception), never blocked."""
        try:
            self.loop.call_soon_threadsafe(self.queue.put_nowait, item)
            return True
        except RuntimeError:  # the event loop is gone (shutdown)
            return False

    async def get(self):
        item = await self.queue.get()
        if item is not DONE and not isinstance(item, BaseException):
            self.room.release()
        return item


class Service:
    """Admission control and the synthesis pool, shared by every request."""

    def __init__(self, instances: list, workers: int, queue: int):
        if workers < 1 or queue < 0 or not instances:
            raise ValueError("need at least one instance and one worker, and a queue >= 0")
        self.instances = instances
        self.workers, self.queue_size = workers, queue
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="kokoro-synth")
        self.lock = threading.Lock()
        self.jobs: set[Job] = set()
        self.closing = False
        self.counts = {"served": 0, "failed": 0, "cancelled": 0, "rejected": 0}
        self.active = 0
        self.mean_seconds = 2.0  # running mean of a job's wall time, for Retry-After
        self._next = itertools.count()
        self._local = threading.local()

    @property
    def pending(self) -> int:
        return len(self.jobs)

    def stats(self) -> dict:
        with self.lock:
            return {"workers": self.workers, "queue": self.queue_size, "active": self.active,
                    "queued": max(0, len(self.jobs) - self.active), **self.counts}

    def retry_after(self) -> int:
        waves = (len(self.jobs) - self.workers + 1) / self.workers
        return int(min(120, max(1, math.ceil(self.mean_seconds * max(waves, 1)))))

    def submit(self, text: str, voice: str, speed: float, seed: int | None, pieces: bool, words: bool = False) -> Job:
        """Admit a job (event-loop thread only) or raise a 503."""
        if self.closing:
            raise ApiError(503, "the server is shutting down", None, "shutting_down", "server_error",
                           {"Retry-After": "5"})
        with self.lock:
            if len(self.jobs) >= self.workers + self.queue_size:
                self.counts["rejected"] += 1
                raise ApiError(503, f"the server is busy ({self.workers} synthesising, {self.queue_size} queued); "
                                    "retry later", None, "queue_full", "server_error",
                               {"Retry-After": str(self.retry_after())})
            job = Job(asyncio.get_running_loop())
            self.jobs.add(job)
        job.future = self.executor.submit(self._run, job, text, voice, speed, seed, pieces, words)
        job.future.add_done_callback(lambda _: self._release(job))
        return job

    def _release(self, job: Job) -> None:
        with self.lock:
            self.jobs.discard(job)

    def _instance(self):
        tts = getattr(self._local, "tts", None)
        if tts is None:
            tts = self._local.tts = self.instances[next(self._next) % len(self.instances)]
        return tts

    def _run(self, job: Job, text: str, voice: str, speed: float, seed: int | None, pieces: bool,
             words: bool = False) -> None:
        """Synthesise into ``job``: audio pieces, or with ``words`` (samples, [(Word, key), ...]) pairs."""
        from .runtime.pipeline import FIRST_PIECE_FRAMES

        if job.cancel.is_set():
            with self.lock:
                self.counts["cancelled"] += 1
            return
        start = time.perf_counter()
        with self.lock:
            self.active += 1
        job.started = True
        outcome = "served"
        try:
            chunks = self._instance().stream(text, voice=voice, speed=speed, seed=seed,
                                             first_piece_frames=FIRST_PIECE_FRAMES if pieces else None)
            try:
                for chunk in chunks:
                    item = (chunk.samples, list(zip(chunk.words, chunk.word_keys or [None] * len(chunk.words)))) \
                        if words else chunk.samples
                    if not job.put(item):
                        outcome = "cancelled"
                        break
                else:
                    job.finish(DONE)
            finally:
                chunks.close()
        except Exception as e:  # reported to the client (before the first byte) or logged
            outcome = "failed"
            job.finish(e)
        finally:
            seconds = time.perf_counter() - start
            with self.lock:
                self.active -= 1
                self.counts[outcome] += 1
                self.mean_seconds = 0.8 * self.mean_seconds + 0.2 * seconds

    def close(self) -> None:
        """Cancel whatever is left (after uvicorn's graceful wait) and join the workers."""
        self.closing = True
        with self.lock:
            jobs = list(self.jobs)
        for job in jobs:
            job.cancel.set()
            if job.future is not None:
                job.future.cancel()
        self.executor.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------


@dataclass
class ServeConfig:
    bundle: str | None = None
    threads: int = 2
    max_concurrency: int = 2
    queue: int = 16
    api_key: str | None = None
    max_input_chars: int = DEFAULT_MAX_INPUT_CHARS
    instances: int = 1


def _error(e: ApiError):
    from fastapi.responses import JSONResponse

    return JSONResponse(e.body(), status_code=e.status, headers=e.headers)


def _synthesis_error(e: BaseException) -> ApiError:
    if isinstance(e, (TextError, ValueError)):
        return ApiError(400, str(e), "input" if isinstance(e, TextError) else None, "invalid_input")
    if isinstance(e, VoiceError):
        return ApiError(400, str(e), "voice", "invalid_voice")
    log.error("synthesis failed: %r", e)
    return ApiError(500, f"synthesis failed: {type(e).__name__}: {e}", None, "synthesis_failed", "server_error")


def create_app(config: ServeConfig, instances: list | None = None):
    """The FastAPI app. ``instances``: ready ``Kokoro`` objects to share (tests); otherwise
    ``config.instances`` are loaded from ``config.bundle`` now, so a bad bundle fails before the
    server binds its port."""
    try:
        from fastapi import Depends, FastAPI, Request
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import JSONResponse, Response, StreamingResponse
        from pydantic import BaseModel, ConfigDict
        from starlette.exceptions import HTTPException as StarletteHTTPException
    except ImportError as e:
        raise KokoroLiteRTError(f"serving needs the serve extra ({e.name} is missing): "
                                "pip install 'kokoro-litert[serve]'") from None

    if instances is None:
        from .runtime import Kokoro

        instances = [Kokoro(config.bundle, threads=config.threads) for _ in range(max(1, config.instances))]
    tts = instances[0]
    sample_rate = tts.sample_rate
    voice_names = tts.voices.names()
    bundle_name = tts.bundle.dir.name
    models = list(dict.fromkeys([*MODEL_ALIASES, bundle_name]))
    formats = supported_formats(sample_rate)
    default_format = "mp3" if "mp3" in formats else "wav"
    service = Service(instances, config.max_concurrency, config.queue)
    api_key = config.api_key or None
    speed_lo, speed_hi = 0.5, 2.0
    created = int(time.time())

    class SpeechRequest(BaseModel):
        model_config = ConfigDict(extra="allow")
        model: str
        input: str
        voice: str
        response_format: str | None = None
        speed: float = 1.0
        stream_format: str = "audio"
        instructions: str | None = None
        stream: bool = True  # Kokoro-FastAPI's extension: false -> one complete file
        seed: int | None = 0

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        await asyncio.get_running_loop().run_in_executor(None, service.close)

    app = FastAPI(title="kokoro-litert", version="0.1.0", lifespan=lifespan)
    app.state.service = service

    @app.exception_handler(ApiError)
    async def _api_error(request, e: ApiError):
        return _error(e)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request, e: RequestValidationError):
        errors = e.errors()
        first = errors[0] if errors else {}
        loc = [str(x) for x in first.get("loc", ()) if x != "body"]
        param = ".".join(loc) or None
        msg = f"{param}: {first.get('msg', 'invalid request')}" if param else first.get("msg", "invalid request body")
        return _error(ApiError(400, msg, param, "invalid_request"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request, e: StarletteHTTPException):
        return JSONResponse({"error": {"message": str(e.detail), "type": "invalid_request_error", "param": None,
                                       "code": None}}, status_code=e.status_code, headers=getattr(e, "headers", None))

    def authorized(request: Request) -> None:
        if api_key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "missing API key: send 'Authorization: Bearer KEY'", None, "invalid_api_key")
        if not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            raise ApiError(401, "incorrect API key provided", None, "invalid_api_key")

    @app.get("/health")
    async def health():
        return {"status": "shutting_down" if service.closing else "ok", "bundle": str(tts.bundle.dir),
                "model": bundle_name, "sample_rate": sample_rate, "formats": formats, **service.stats()}

    @app.get("/v1/models", dependencies=[Depends(authorized)])
    async def list_models():
        return {"object": "list",
                "data": [{"id": m, "object": "model", "created": created, "owned_by": "kokoro-litert"} for m in models]}

    @app.get("/v1/audio/voices", dependencies=[Depends(authorized)])
    async def list_voices():
        return {"voices": voice_names}

    def validate(req: SpeechRequest) -> tuple[str, str]:
        if req.model not in models:
            raise ApiError(400, f"unknown model '{req.model}'; use one of: {', '.join(models)}", "model",
                           "model_not_found")
        fmt = (req.response_format or default_format).lower()
        if fmt not in formats:
            why = (f"response_format '{fmt}' cannot be written here (the installed libsndfile lacks it; "
                   f"mp3 and opus need libsndfile >= 1.1)" if fmt in OPENAI_FORMATS
                   else f"unknown response_format '{fmt}'")
            raise ApiError(400, f"{why}; supported: {', '.join(formats)}", "response_format", "unsupported_format")
        if req.stream_format not in ("audio", "sse"):
            raise ApiError(400, f"stream_format must be 'audio' or 'sse', not '{req.stream_format}'",
                           "stream_format", "invalid_value")
        if not math.isfinite(req.speed) or not speed_lo <= req.speed <= speed_hi:
            raise ApiError(400, f"speed {req.speed} is outside Kokoro's range {speed_lo}-{speed_hi}", "speed",
                           "invalid_speed")
        if not req.input.strip():
            raise ApiError(400, "input is empty", "input", "empty_input")
        if len(req.input) > config.max_input_chars:
            raise ApiError(413, f"input is {len(req.input)} characters; the limit is {config.max_input_chars}",
                           "input", "input_too_long")
        return fmt, check_voice(req.voice, voice_names)

    async def wait(job: Job, request: Request):
        """The job's next item; a client that goes away meanwhile cancels the job."""
        get = asyncio.ensure_future(job.get())
        try:
            while True:
                done, _ = await asyncio.wait({get}, timeout=0.5)
                if done:
                    return get.result()
                if await request.is_disconnected():
                    job.cancel.set()
                    get.cancel()
                    return None
        except BaseException:
            get.cancel()
            raise

    class JobStream(StreamingResponse):
        """Cancels its job however the response ends (finished, client gone, server shutdown)."""

        def __init__(self, job: Job, *a, **kw):
            super().__init__(*a, **kw)
            self.job = job

        async def __call__(self, scope, receive, send):
            try:
                await super().__call__(scope, receive, send)
            finally:
                self.job.cancel.set()

    @app.post("/v1/audio/speech", dependencies=[Depends(authorized)])
    async def speech(req: SpeechRequest, request: Request):
        fmt, voice = validate(req)
        sse = req.stream_format == "sse"
        streaming = req.stream and (fmt in STREAMABLE or sse)
        job = service.submit(req.input, voice, req.speed, req.seed, pieces=streaming and fmt in STREAMABLE)
        try:
            first = await wait(job, request)
            if first is None:  # client gone before any audio
                return Response(status_code=499)
            if isinstance(first, BaseException):
                return _error(_synthesis_error(first))
            if not streaming or fmt not in STREAMABLE:  # one complete file
                pieces = [] if first is DONE else [first]
                while pieces and (item := await wait(job, request)) is not DONE:
                    if item is None:
                        return Response(status_code=499)
                    if isinstance(item, BaseException):
                        return _error(_synthesis_error(item))
                    pieces.append(item)
                samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
                body = await asyncio.get_running_loop().run_in_executor(None, encode, samples, sample_rate, fmt)
                if sse:
                    return JobStream(job, _sse([body], len(req.input)), media_type="text/event-stream")
                return Response(body, media_type=MEDIA_TYPES[fmt])
        except BaseException:
            job.cancel.set()
            raise

        async def pieces_of():
            item = first
            while item is not DONE:
                if isinstance(item, BaseException):
                    log.error("synthesis failed mid-stream, ending the response early: %r", item)
                    return
                yield pcm16(item)
                item = await job.get()

        async def audio_bytes():
            if fmt == "wav":
                yield wav_header(sample_rate)
            async for b in pieces_of():
                yield b

        if sse:
            return JobStream(job, _sse(audio_bytes(), len(req.input)), media_type="text/event-stream")
        return JobStream(job, audio_bytes(), media_type=MEDIA_TYPES[fmt],
                         headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @app.post("/v1/audio/speech/timestamps", dependencies=[Depends(authorized)])
    async def speech_timestamps(req: SpeechRequest, request: Request):
        """The speech request's audio, whole, with word timestamps: one JSON object
        ``{"audio": base64 file in response_format (default wav), "format", "sample_rate",
        "duration", "words": [{"word", "start", "end"}, ...]}`` (seconds on that audio; ``word`` is
        the input's own text, e.g. "$42.50" for all of "forty two dollars and fifty cents")."""
        from .runtime.pipeline import merge_words

        if req.response_format is None:
            req.response_format = "wav"
        fmt, voice = validate(req)
        job = service.submit(req.input, voice, req.speed, req.seed, pieces=False, words=True)
        pieces, keyed = [], []
        try:
            while (item := await wait(job, request)) is not DONE:
                if item is None:
                    return Response(status_code=499)
                if isinstance(item, BaseException):
                    return _error(_synthesis_error(item))
                pieces.append(item[0])
                keyed += item[1]
        except BaseException:
            job.cancel.set()
            raise
        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        body = await asyncio.get_running_loop().run_in_executor(None, encode, samples, sample_rate, fmt)
        return {"audio": base64.b64encode(body).decode("ascii"), "format": fmt, "sample_rate": sample_rate,
                "duration": round(len(samples) / sample_rate, 6),
                "words": [w.as_dict() for w in merge_words(keyed)]}

    return app


async def _sse(parts, characters: int):
    """OpenAI's speech events: one ``speech.audio.delta`` per piece, then ``speech.audio.done``."""
    if isinstance(parts, list):
        async def gen():
            for p in parts:
                yield p
        parts = gen()
    async for b in parts:
        event = {"type": "speech.audio.delta", "audio": base64.b64encode(b).decode("ascii")}
        yield f"data: {json.dumps(event)}\n\n".encode()
    usage = {"input_tokens": characters, "output_tokens": 0, "total_tokens": characters}
    yield f"data: {json.dumps({'type': 'speech.audio.done', 'usage': usage})}\n\n".encode()


# --------------------------------------------------------------------------------------------
# The CLI
# --------------------------------------------------------------------------------------------


def add_arguments(p) -> None:
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8880)
    p.add_argument("--bundle", help="bundle directory (default: the cache's default bundle)")
    p.add_argument("--max-concurrency", type=int, default=2, metavar="N",
                   help="synthesis worker threads (default 2)")
    p.add_argument("--queue", type=int, default=16, metavar="N",
                   help="requests that may wait for a worker; more get 503 + Retry-After (default 16)")
    p.add_argument("--api-key", default=None, metavar="KEY",
                   help=f"require 'Authorization: Bearer KEY' on /v1 (default: ${API_KEY_ENV}, else no key)")
    p.add_argument("--threads", type=int, default=2, help="LiteRT threads per Kokoro instance (default 2)")
    p.add_argument("--instances", type=int, default=1,
                   help="Kokoro instances the workers share round-robin (default 1; ~0.5 GB each)")
    p.add_argument("--max-input-chars", type=int, default=DEFAULT_MAX_INPUT_CHARS, metavar="N",
                   help=f"longer input is refused with 413 (default {DEFAULT_MAX_INPUT_CHARS}, as OpenAI)")
    p.add_argument("--graceful-timeout", type=float, default=30.0, metavar="S",
                   help="on shutdown, let in-flight requests finish for this long (default 30 s)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])


def main(args) -> None:
    try:
        import uvicorn
    except ImportError:
        raise KokoroLiteRTError("serving needs the serve extra: pip install 'kokoro-litert[serve]'") from None
    if args.max_concurrency < 1 or args.queue < 0 or args.instances < 1 or args.max_input_chars < 1:
        raise ValueError("--max-concurrency, --instances and --max-input-chars must be >= 1, --queue >= 0")
    key = args.api_key or os.environ.get(API_KEY_ENV) or None
    if args.host not in ("127.0.0.1", "localhost", "::1") and key is None:
        print(f"kokoro-litert serve: warning: listening on {args.host} with no API key (--api-key or ${API_KEY_ENV})",
              file=sys.stderr)
    config = ServeConfig(bundle=args.bundle, threads=args.threads, max_concurrency=args.max_concurrency,
                         queue=args.queue, api_key=key, max_input_chars=args.max_input_chars,
                         instances=args.instances)
    app = create_app(config)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                timeout_graceful_shutdown=args.graceful_timeout)


__all__ = ["ApiError", "ServeConfig", "Service", "add_arguments", "check_voice", "create_app", "encode", "main",
           "supported_formats", "wav_header"]
