"""Typed errors. Every user-facing failure is one of these, so the CLI can print one readable line."""


class KokoroLiteRTError(Exception):
    """Base class of every error this package raises on purpose."""


class WeightsError(KokoroLiteRTError):
    """Weights could not be obtained, verified or loaded."""


class ChecksumError(WeightsError):
    """A downloaded or cached file does not have the sha256 it must have."""


class VoiceError(KokoroLiteRTError):
    """Unknown voice, unreadable voice file or a voice pack of the wrong shape."""


class BundleError(KokoroLiteRTError):
    """A bundle directory is missing files, fails its checksums or disagrees with its manifest."""


class TextError(KokoroLiteRTError):
    """Text that cannot be spoken: empty, nothing pronounceable, or a word too long for any bucket."""


class FramesOverflow(TextError):
    """The predicted durations need more frames than the largest bucket holds."""


class ConversionError(KokoroLiteRTError):
    """A graph failed to convert or failed the parity gate."""


class EvalError(KokoroLiteRTError):
    """The speech-quality suite cannot run: a tool it needs (the quality extra) is missing."""
