"""Tests for the charts' PNG layer: lossless RGB, the dpi recorded, no metadata, same bytes."""

from __future__ import annotations

import io
import struct
import zlib

import matplotlib.image as mpimg
import numpy as np
import numpy.typing as npt

from charts._draw import new_figure
from charts._png import encode_png, figure_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, each CRC checked."""
    assert png[:8] == PNG_SIGNATURE
    found = []
    pos = 8
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + data)
        found.append((kind, data))
        pos += 12 + length
    return found


def rgba_image(height: int, width: int, seed: int = 1) -> npt.NDArray[np.uint8]:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)


def test_encode_png_keeps_rgb_exactly_and_drops_alpha() -> None:
    image = rgba_image(5, 7)
    decoded = mpimg.imread(io.BytesIO(encode_png(image, 150)), format="png")
    assert decoded.shape == (5, 7, 3)
    assert np.array_equal(np.round(decoded * 255).astype(np.uint8), image[..., :3])


def test_encode_png_has_only_header_dpi_data_and_end() -> None:
    found = chunks(encode_png(rgba_image(2, 3), 150))
    assert [kind for kind, _ in found] == [b"IHDR", b"pHYs", b"IDAT", b"IEND"]
    ihdr, phys = found[0][1], found[1][1]
    assert struct.unpack(">IIBBBBB", ihdr) == (3, 2, 8, 2, 0, 0, 0)  # 8-bit RGB
    assert struct.unpack(">IIB", phys) == (5906, 5906, 1)  # 150 dpi in pixels per metre


def test_equal_pixels_give_equal_bytes() -> None:
    assert encode_png(rgba_image(4, 4), 150) == encode_png(rgba_image(4, 4).copy(), 150)
    assert encode_png(rgba_image(4, 4), 150) != encode_png(rgba_image(4, 4, seed=2), 150)


def test_figure_png_draws_the_figure_at_its_size() -> None:
    png = figure_png(new_figure(1.0, 0.5, 100))
    decoded = mpimg.imread(io.BytesIO(png), format="png")
    assert decoded.shape == (50, 100, 3)
    assert np.all(decoded == 1.0)  # an empty figure is plain white
