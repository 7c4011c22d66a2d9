"""``kokoro-litert serve``: the OpenAI-compatible speech server, as clients use it.

A live server (uvicorn in a thread, 127.0.0.1, a free port) on the real CI bundle, driven by the
real ``openai`` client and by httpx: audio round trips in every format, streaming (first bytes
before the synthesis ends), 20 concurrent requests, every error status in OpenAI's shape, a queue
that is full, a client that disconnects mid-stream, and the CLI's server shut down gracefully.
Texts are short: the CI bundle's chunks are at most 32 tokens (longer text is split into sentences).
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import soundfile as sf

from kokoro_litert.serve import ApiError, check_voice, encode, wav_header

SR = 24000
KEY = "sk-test-kokoro"
SHORT = "Hello there."
OTHER = "See you soon."
THREE = "The sun rose early. Birds sang in the trees. We walked to the river."
LONG = " ".join(["One sentence is spoken here.", "Then another one follows it.", "A third one comes next.",
                 "The fourth is short.", "Five sentences in all.", "Six is one more.", "Seven now.",
                 "Eight sentences.", "Nine of them.", "And ten to end."])


# --------------------------------------------------------------------------------------------
# Unit tests (no model)
# --------------------------------------------------------------------------------------------


def test_check_voice_accepts_names_and_blends_only():
    names = ["af_heart", "am_michael"]
    assert check_voice("af_heart", names) == "af_heart"
    assert check_voice(" af_heart:0.7, am_michael:0.3 ", names) == "af_heart:0.7,am_michael:0.3"
    for bad in ["", "alloy", "af_heart:x", "af_heart:-1", "/etc/passwd", "../voices/af_heart.bin", "af_heart,nobody:1"]:
        with pytest.raises(ApiError) as e:
            check_voice(bad, names)
        assert e.value.status == 400 and e.value.param == "voice"


def test_wav_header_exact_and_open_ended():
    samples = np.sin(np.linspace(0, 100, 2400)).astype(np.float32) * 0.5
    data = encode(samples, SR, "wav")
    audio, sr = sf.read(io.BytesIO(data), dtype="float32")
    assert sr == SR and len(audio) == len(samples) and np.abs(audio - samples).max() < 1e-4
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8 and struct.unpack("<I", data[40:44])[0] == 2 * len(samples)
    streamed = wav_header(SR) + encode(samples, SR, "pcm")  # what a streamed wav response is
    audio, sr = sf.read(io.BytesIO(streamed), dtype="float32")
    assert sr == SR and len(audio) == len(samples)


# --------------------------------------------------------------------------------------------
# A live server on the real bundle
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, app):
        import uvicorn

        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)

    def stats(self) -> dict:
        return self.app.state.service.stats()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(60)
        assert not self.thread.is_alive()


@pytest.fixture(scope="module")
def tts(real_bundle):
    from kokoro_litert.runtime import Kokoro

    return Kokoro(real_bundle, threads=2)


@pytest.fixture(scope="module")
def server(tts):
    from kokoro_litert.serve import ServeConfig, create_app

    live = LiveServer(create_app(ServeConfig(api_key=KEY, max_concurrency=2, queue=32), [tts]))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def client(server):
    import openai

    return openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0, timeout=300)


@pytest.fixture(scope="module")
def http(server):
    import httpx

    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}, timeout=300) as c:
        yield c


def decode(data: bytes) -> tuple[np.ndarray, int]:
    audio, sr = sf.read(io.BytesIO(data), dtype="float32")
    return audio, sr


def assert_speech(audio: np.ndarray, sr: int, min_s: float = 0.3, rates=(SR,)) -> None:
    assert sr in rates
    if audio.ndim == 2:
        audio = audio[:, 0]
    assert len(audio) / sr >= min_s, len(audio)
    assert np.isfinite(audio).all() and np.abs(audio).max() > 0.05  # not silent
    assert np.sqrt(np.mean(audio ** 2)) > 0.005


@pytest.mark.real
def test_openai_client_wav_round_trip(client, tts):
    streamed = client.audio.speech.create(model="tts-1", voice="af_heart", input=SHORT, response_format="wav")
    assert streamed.response.headers["content-type"] == "audio/wav"
    audio, sr = decode(streamed.content)
    assert_speech(audio, sr)
    # stream=False (an extension): one complete file with exact lengths, the same length of audio
    whole = client.audio.speech.create(model="kokoro", voice="af_heart", input=SHORT, response_format="wav",
                                       extra_body={"stream": False})
    data = whole.content
    assert struct.unpack("<I", data[4:8])[0] == len(data) - 8 and struct.unpack("<I", data[40:44])[0] == len(data) - 44
    audio2, _ = decode(data)
    assert len(audio2) == len(audio)
    ref = tts.synthesize(SHORT, voice="af_heart")  # the non-streamed file is the library's audio
    assert np.abs(audio2 - np.clip(ref.samples, -1, 1)).max() < 2e-3


@pytest.mark.real
def test_every_supported_format(client, http):
    formats = http.get("/health").json()["formats"]
    assert formats[:2] == ["wav", "pcm"]
    import soundfile

    if tuple(int(x) for x in soundfile.__libsndfile_version__.split(".")[:2]) >= (1, 1):
        assert {"flac", "mp3", "opus"} <= set(formats)
    for fmt in formats:
        r = client.audio.speech.create(model="tts-1-hd", voice="af_heart:0.7,am_michael:0.3", input="Hi.",
                                       response_format=fmt)
        data = r.content
        if fmt == "pcm":  # raw s16le, 24 kHz mono
            assert len(data) % 2 == 0
            audio, sr = np.frombuffer(data, "<i2").astype(np.float32) / 32767, SR
        else:
            audio, sr = decode(data)
        # Ogg Opus may decode at 48 kHz (Opus's own rate) whatever it was encoded from
        assert_speech(audio, sr, 0.2, (SR, 48000) if fmt == "opus" else (SR,))


@pytest.mark.real
def test_streaming_sends_audio_before_synthesis_ends(client):
    arrivals = []
    start = time.perf_counter()
    with client.audio.speech.with_streaming_response.create(model="kokoro", voice="af_heart", input=THREE,
                                                            response_format="pcm") as r:
        assert r.headers.get("transfer-encoding") == "chunked"
        for block in r.iter_bytes():
            arrivals.append((time.perf_counter() - start, len(block)))
    total = arrivals[-1][0]
    first = arrivals[0][0]
    n_bytes = sum(n for _, n in arrivals)
    assert n_bytes > 2 * SR  # > 1 s of audio
    # the first piece of the first sentence arrives well before the third sentence is synthesised
    assert first < 0.6 * total, arrivals
    assert len({round(t, 2) for t, _ in arrivals}) >= 3, arrivals


@pytest.mark.real
def test_sse_stream_format(http):
    r = http.post("/v1/audio/speech", json={"model": "kokoro", "voice": "af_heart", "input": "Hi.",
                                           "response_format": "pcm", "stream_format": "sse"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: ")]
    assert events[-1]["type"] == "speech.audio.done"
    assert {e["type"] for e in events[:-1]} == {"speech.audio.delta"}
    pcm = b"".join(base64.b64decode(e["audio"]) for e in events[:-1])
    assert_speech(np.frombuffer(pcm, "<i2").astype(np.float32) / 32767, SR, 0.2)


@pytest.mark.real
def test_twenty_concurrent_requests(client, server):
    cases = [(SHORT, "af_heart"), (OTHER, "am_michael"), (SHORT, "af_heart:0.5,am_michael:0.5"), (OTHER, "af_heart")]

    def speak(i):
        text, voice = cases[i % len(cases)]
        r = client.audio.speech.create(model="kokoro", voice=voice, input=text, response_format="wav")
        return i, r.content

    start = time.perf_counter()
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(speak, range(20)))
    wall = time.perf_counter() - start
    assert len(results) == 20
    by_case: dict[int, list[np.ndarray]] = {}
    for i, data in results:
        audio, sr = decode(data)
        assert_speech(audio, sr)
        by_case.setdefault(i % len(cases), []).append(audio)
    for k, audios in by_case.items():  # the same request gives the same audio under concurrency
        for a in audios[1:]:
            assert len(a) == len(audios[0]), cases[k]
            assert np.abs(a - audios[0]).max() < 1e-3, cases[k]
    assert server.stats()["rejected"] == 0
    print(f"20 concurrent requests in {wall:.1f} s")


@pytest.mark.real
def test_models_voices_health(http, server):
    ids = [m["id"] for m in http.get("/v1/models").json()["data"]]
    assert {"kokoro", "tts-1", "tts-1-hd"} <= set(ids) and len(ids) == 4  # and the bundle's name
    voices = http.get("/v1/audio/voices").json()["voices"]
    assert "af_heart" in voices and "am_michael" in voices and len(voices) == 28
    import httpx

    h = httpx.get(server.url + "/health")  # no key needed
    assert h.status_code == 200 and h.json()["status"] == "ok" and h.json()["sample_rate"] == SR


ERRORS = {
    # name: (request body changes, headers, status, param, message fragment)
    "unknown voice": ({"voice": "alloy"}, None, 400, "voice", "unknown voice 'alloy'"),
    "voice file path": ({"voice": "/etc/passwd"}, None, 400, "voice", "unknown voice"),
    "unknown format": ({"response_format": "ogg"}, None, 400, "response_format", "unknown response_format"),
    "unsupported format": ({"response_format": "aac"}, None, 400, "response_format", "cannot be written here"),
    "speed too high": ({"speed": 4.0}, None, 400, "speed", "outside"),
    "speed too low": ({"speed": 0.25}, None, 400, "speed", "outside"),
    "speed not a number": ({"speed": "fast"}, None, 400, "speed", "number"),
    "empty input": ({"input": "  "}, None, 400, "input", "empty"),
    "missing input": ({"input": None}, None, 400, "input", "required"),
    "nothing pronounceable": ({"input": "... !!! ???"}, None, 400, "input", "nothing pronounceable"),
    "unknown model": ({"model": "gpt-4o-mini-tts"}, None, 400, "model", "unknown model"),
    "input too long": ({"input": "Hello there. " * 400}, None, 413, "input", "limit is 4096"),
    "missing key": ({}, {"Authorization": ""}, 401, None, "missing API key"),
    "wrong key": ({}, {"Authorization": "Bearer sk-wrong"}, 401, None, "incorrect API key"),
}


@pytest.mark.real
@pytest.mark.parametrize("case", list(ERRORS), ids=lambda c: c.replace(" ", "-"))
def test_errors_in_openai_shape(case, http):
    changes, headers, status, param, message = ERRORS[case]
    body = {"model": "kokoro", "input": SHORT, "voice": "af_heart", "response_format": "wav"}
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not None}
    r = http.post("/v1/audio/speech", json=body, headers=headers)
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert set(err) == {"message", "type", "param", "code"}
    assert err["param"] == param and message in err["message"], err
    assert err["type"] == "invalid_request_error"


@pytest.mark.real
def test_openai_client_raises_typed_errors(server):
    import openai

    bad = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.audio.speech.create(model="kokoro", voice="af_heart", input=SHORT)
    good = openai.OpenAI(base_url=server.url + "/v1", api_key=KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as e:
        good.audio.speech.create(model="kokoro", voice="nobody", input=SHORT)
    assert e.value.body["param"] == "voice"


def _wait_idle(live: LiveServer, timeout: float) -> float:
    start = time.monotonic()
    while True:
        s = live.stats()
        if s["active"] == 0 and s["queued"] == 0:
            return time.monotonic() - start
        assert time.monotonic() - start < timeout, s
        time.sleep(0.05)


@pytest.mark.real
def test_disconnect_mid_stream_frees_the_worker(http, server, client):
    before = server.stats()
    start = time.perf_counter()
    with http.stream("POST", "/v1/audio/speech", json={"model": "kokoro", "voice": "af_heart", "input": LONG,
                                                      "response_format": "pcm"}) as r:
        assert r.status_code == 200
        first = next(r.iter_bytes())
        assert first
    freed = _wait_idle(server, 60)  # the worker stops at its next piece, long before 10 sentences
    after = server.stats()
    assert after["cancelled"] == before["cancelled"] + 1
    assert after["served"] == before["served"]
    elapsed = time.perf_counter() - start
    # then the server serves the next request
    audio, sr = decode(client.audio.speech.create(model="kokoro", voice="af_heart", input=SHORT,
                                                  response_format="wav").content)
    assert_speech(audio, sr)
    print(f"disconnect: worker freed {freed:.2f} s after the client left ({elapsed:.2f} s after the request)")


@pytest.mark.real
def test_queue_full_gives_503_with_retry_after(tts):
    import httpx

    from kokoro_litert.serve import ServeConfig, create_app

    live = LiveServer(create_app(ServeConfig(max_concurrency=1, queue=0), [tts]))
    try:
        body = {"model": "kokoro", "voice": "af_heart", "input": LONG, "response_format": "pcm"}
        with httpx.Client(base_url=live.url, timeout=300) as h:
            with h.stream("POST", "/v1/audio/speech", json=body) as busy:
                assert busy.status_code == 200
                next(busy.iter_bytes())  # the only worker is now busy with a 10-sentence text
                r = h.post("/v1/audio/speech", json={**body, "input": SHORT})
                assert r.status_code == 503, r.text
                assert int(r.headers["retry-after"]) >= 1
                err = r.json()["error"]
                assert err["code"] == "queue_full" and err["type"] == "server_error"
            _wait_idle(live, 60)  # the first client left: its worker is freed
            r = h.post("/v1/audio/speech", json={**body, "input": SHORT, "response_format": "wav"})
            assert r.status_code == 200
            assert_speech(*decode(r.content))
        assert live.stats()["rejected"] == 1
    finally:
        live.stop()


@pytest.mark.real
def test_cli_serve_shuts_down_gracefully(real_bundle):
    """``kokoro-litert serve`` in a subprocess: SIGINT while a stream is in flight lets it finish,
    then the process exits 0."""
    import httpx

    port = free_port()
    env = dict(os.environ, KOKORO_LITERT_API_KEY=KEY)
    proc = subprocess.Popen([sys.executable, "-m", "kokoro_litert.cli", "serve", "--bundle", str(real_bundle),
                             "--port", str(port), "--max-concurrency", "1", "--log-level", "warning"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {KEY}"}
        body = {"model": "kokoro", "voice": "af_heart", "input": "Good morning. Have a nice day.",
                "response_format": "wav"}
        with httpx.stream("POST", url + "/v1/audio/speech", json=body, headers=headers, timeout=120) as r:
            assert r.status_code == 200
            blocks = r.iter_bytes()
            data = next(blocks)
            proc.send_signal(signal.SIGINT)  # graceful: the in-flight response is finished
            data += b"".join(blocks)
        audio, sr = decode(data)
        assert_speech(audio, sr, 1.0)
        assert proc.wait(60) == 0
        with pytest.raises(httpx.TransportError):
            httpx.get(url + "/health", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
