"""Native libraries (the converter, LiteRT's CompiledModel) log straight to file descriptors 1/2,
past Python's logging and TF_CPP_MIN_LOG_LEVEL. These helpers keep them quiet unless asked."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import sys
import tempfile


@contextlib.contextmanager
def quiet_native_logs(verbose: bool = False):
    """Send fd 1/2 to a temporary file for the block; replay its tail if the block fails."""
    if verbose or os.environ.get("KOKORO_LITERT_VERBOSE"):
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            _flush_c_stdio()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _flush_c_stdio() -> None:
    """Native logs sit in C stdio buffers when fd 1 is not a terminal: flush them where they belong."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).fflush(None)


def _silence_native_output() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    _flush_c_stdio()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


_registered = False


def quiet_at_exit() -> None:
    """LiteRT logs every accelerator it tears down when the process ends; mute fd 1/2 then
    (Python's own buffers are flushed first)."""
    global _registered
    if not _registered and not os.environ.get("KOKORO_LITERT_VERBOSE"):
        atexit.register(_silence_native_output)
        _registered = True
