"""kokoro-litert: Kokoro-82M text-to-speech on LiteRT.

`kokoro_litert.converter` builds .tflite bundles from the PyTorch weights (build time, needs torch);
`kokoro_litert.runtime` speaks with them (deploy time: numpy + ai-edge-litert, never torch).
"""

__version__ = "0.1.0"
