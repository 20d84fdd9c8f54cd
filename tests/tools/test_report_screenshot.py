"""The screenshot check's own parts, without Chromium: the PNG reader and the timeline verdict.

`make report-check` runs the whole check in headless Chromium (CI does too)."""

from __future__ import annotations

import struct
import zlib

import pytest

from tools.report_screenshot import DOT, FAULT, TAKEOVER, count_colours, decode_png, timeline_problems

Pixel = tuple[int, int, int]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _filtered(row: bytes, previous: bytes, kind: int, channels: int) -> bytes:
    """The PNG filters, as an encoder applies them (the reader must undo each)."""
    out = bytearray()
    for i, value in enumerate(row):
        left = row[i - channels] if i >= channels else 0
        up = previous[i]
        corner = previous[i - channels] if i >= channels else 0
        if kind == 0:
            predicted = 0
        elif kind == 1:
            predicted = left
        elif kind == 2:
            predicted = up
        elif kind == 3:
            predicted = (left + up) // 2
        else:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            predicted = left if pa <= pb and pa <= pc else up if pb <= pc else corner
        out.append((value - predicted) & 0xFF)
    return bytes(out)


def _png(pixels: list[list[Pixel]], *, alpha: bool) -> bytes:
    channels = 4 if alpha else 3
    height, width = len(pixels), len(pixels[0])
    raw = b""
    previous = bytes(width * channels)
    for y, line in enumerate(pixels):
        row = b"".join(bytes(p) + (b"\xff" if alpha else b"") for p in line)
        kind = y % 5  # every filter type in turn
        raw += bytes([kind]) + _filtered(row, previous, kind, channels)
        previous = row
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


def _picture(dots: int, fault_px: int, takeover_px: int, width: int = 40, height: int = 30) -> list[list[Pixel]]:
    white: Pixel = (255, 255, 255)
    flat = [DOT] * dots + [FAULT] * fault_px + [TAKEOVER] * takeover_px
    flat += [white] * (width * height - len(flat))
    # A little of everything on every row, so every filter type sees real data.
    flat = flat[::7] + [p for i, p in enumerate(flat) if i % 7]
    return [flat[y * width : (y + 1) * width] for y in range(height)]


@pytest.mark.parametrize("alpha", [False, True])
def test_the_reader_undoes_every_filter(alpha: bool) -> None:
    pixels = _picture(100, 70, 65)
    width, height, rows = decode_png(_png(pixels, alpha=alpha))
    assert (width, height) == (40, 30)
    assert [[tuple(row[3 * x : 3 * x + 3]) for x in range(width)] for row in rows] == pixels


def test_colours_are_counted_exactly() -> None:
    counts = count_colours(_png(_picture(100, 70, 65), alpha=True), [DOT, FAULT, TAKEOVER])
    assert counts == {DOT: 100, FAULT: 70, TAKEOVER: 65}


REPORT = {
    "timeline": [
        {"phase": "drill started"},
        {"phase": "fault injected (network-down)"},
        {"phase": "takeover complete on lk-node-b"},
    ]
}


def test_a_rendered_timeline_has_no_problems() -> None:
    assert timeline_problems(REPORT, _png(_picture(3 * 25, 70, 70), alpha=False)) == []


def test_a_missing_line_or_too_few_dots_is_named() -> None:
    problems = timeline_problems(REPORT, _png(_picture(10, 0, 70), alpha=False))
    assert problems == [
        "10 dot pixels for 3 phases (expected at least 20 each)",
        "the fault line is missing (0 red pixels)",
    ]


def test_not_a_png_is_refused() -> None:
    with pytest.raises(ValueError, match="not a PNG"):
        decode_png(b"GIF89a")
