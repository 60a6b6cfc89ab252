"""A figure drawn by a renderer of its own and encoded as PNG here, rather than with ``savefig``.

Why encode here: Pillow at its default settings, as ``savefig`` uses it, took ~140 ms for the
1080 x 2076 px diarised chart, more than the whole render budget of ~100 ms (DESIGN.md,
"Performance budget" → Charts). :func:`encode_png` writes opaque 8-bit RGB, no row filter, at
zlib level 3 in ~25 ms. The charts are flat colour on white, so filtering gains little and the
alpha channel carries nothing.

Why a renderer per call: ``FigureCanvasAgg.draw`` keeps its renderer on the canvas, and figure and
canvas reference each other, so each chart's ~9 MB pixel buffer would live until the cyclic
garbage collector ran (100+ MB over 200 charts). A ``RendererAgg`` owned by :func:`figure_png`
is freed by reference counting as soon as it returns.

The bytes are a function of the pixels alone: the only chunk besides the image is pHYs (the dpi),
with no text or time chunks, so the same chart always gives the same bytes (the digest ledger
stores a hash of them).
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure

__all__ = ["PNG_COMPRESSION", "encode_png", "figure_png"]

# zlib level for the PNG: 3 is within ~10 % of level 6's size at well under half its time.
PNG_COMPRESSION = 3

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_METRES_PER_INCH = 0.0254


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(rgb: npt.NDArray[np.uint8], dpi: float) -> bytes:
    """Encode the RGB channels of an image as an 8-bit RGB PNG.

    Args:
        rgb: An (h, w, c) uint8 array with c >= 3, e.g. an Agg RGBA buffer; channels past the
            third (alpha) are ignored, so the image must be opaque.
        dpi: Pixels per inch, written to the pHYs chunk.

    Returns:
        The PNG bytes: IHDR, pHYs, one IDAT, IEND. Equal pixels give equal bytes.

    Raises:
        ValueError: If ``rgb`` is not three-dimensional.
    """
    height, width, _ = rgb.shape
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter "None": charts are flat colour, zlib finds the runs without help
    # One channel at a time: numpy copies a strided (h, w, 3) slice of RGBA several times slower.
    for channel in range(3):
        rows[:, 1 + channel :: 3] = rgb[..., channel]
    ppm = round(dpi / _METRES_PER_INCH)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            _chunk(b"IDAT", zlib.compress(rows.data, PNG_COMPRESSION)),
            _chunk(b"IEND", b""),
        )
    )


def figure_png(fig: Figure) -> bytes:
    """Draw ``fig`` with Agg at its own size and dpi and return it as PNG bytes.

    Args:
        fig: A figure with an opaque background; its sketch and path-effect settings are
            cleared first.

    Returns:
        PNG bytes of ``fig.bbox.size`` pixels (see :func:`encode_png`).
    """
    # Artists pick up sketch (xkcd) and path effects from rcParams when created; clear both so a
    # global style cannot reach the output.
    for artist in fig.get_children():  # includes fig.patch
        artist.set_sketch_params(None)
        artist.set_path_effects([])
    width, height = fig.bbox.size
    make_renderer: Any = RendererAgg  # backend_agg ships without type hints
    renderer = make_renderer(round(width), round(height), fig.dpi)
    fig.draw(renderer)
    # The figure is opaque white, so the alpha channel carries nothing: drop it (25 % less data).
    return encode_png(np.asarray(renderer.buffer_rgba()), fig.dpi)
