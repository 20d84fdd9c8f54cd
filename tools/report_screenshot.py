"""Open a drill report's HTML page in headless Chromium, save a screenshot (PNG) and check it.

    python tools/report_screenshot.py reports/<drill id>.json [--out report.png]

Checks the page as a person would see it: the timeline picture must render. Besides the screenshot
of the whole page, the timeline picture alone is rendered and its pixels read back: every phase's
dot (blue), the fault line (red) and the takeover line (green) must be on screen. Needs Debian's
`chromium` (`make report-check` installs it when run as root); the page loads nothing from the network.
Exit codes: 0 the timeline renders, 1 it does not, 3 no chromium.
"""

from __future__ import annotations

import argparse
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "lambdas"))

from hadrill.report_html import render_html, timeline_svg  # noqa: E402

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1000,1000",
)
# The timeline's colours (hadrill.report_html.timeline_svg): phase dots, fault line, takeover line.
DOT, FAULT, TAKEOVER = (0x09, 0x69, 0xDA), (0xCF, 0x22, 0x2E), (0x1A, 0x7F, 0x37)
# A dot of radius 5 covers about 78 pixels; anti-aliasing leaves fewer of the exact colour.
MIN_DOT_PIXELS = 20
MIN_LINE_PIXELS = 60  # a dashed 2 px line over a few hundred pixels of height


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB(A) rows of an 8-bit, non-interlaced truecolour PNG (what Chromium writes)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    position, idat = 8, b""
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        filter_type, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if filter_type == 1:
                line[i] = (line[i] + left) & 0xFF
            elif filter_type == 2:
                line[i] = (line[i] + up) & 0xFF
            elif filter_type == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif filter_type == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    # Keep only RGB so callers need not care which kind Chromium wrote.
    if channels == 4:
        rows = [bytes(b for i, b in enumerate(row) if i % 4 != 3) for row in rows]
    return width, height, rows


def count_colours(png: bytes, colours: list[tuple[int, int, int]]) -> dict[tuple[int, int, int], int]:
    width, _, rows = decode_png(png)
    counts = dict.fromkeys(colours, 0)
    for row in rows:
        for x in range(width):
            pixel = (row[3 * x], row[3 * x + 1], row[3 * x + 2])
            if pixel in counts:
                counts[pixel] += 1
    return counts


def _screenshot(chromium: str, html: str, out: Path, tmp: Path) -> None:
    page = tmp / f"{out.stem}.html"
    page.write_text(html, encoding="utf-8")
    subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp}/profile", f"--screenshot={out.resolve()}", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=60,
    )


def timeline_problems(report: dict[str, Any], png: bytes) -> list[str]:
    """What is missing from the rendered timeline picture (nothing, when it renders)."""
    counts = count_colours(png, [DOT, FAULT, TAKEOVER])
    points = len(report.get("timeline", []))
    problems = []
    if counts[DOT] < MIN_DOT_PIXELS * points:
        problems.append(f"{counts[DOT]} dot pixels for {points} phases (expected at least {MIN_DOT_PIXELS} each)")
    phases = " ".join(str(e.get("phase", "")) for e in report.get("timeline", [])).lower()
    if "fault" in phases and counts[FAULT] < MIN_LINE_PIXELS:
        problems.append(f"the fault line is missing ({counts[FAULT]} red pixels)")
    if "takeover complete" in phases and counts[TAKEOVER] < MIN_LINE_PIXELS:
        problems.append(f"the takeover line is missing ({counts[TAKEOVER]} green pixels)")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", type=Path, help="a drill report JSON file")
    parser.add_argument("--out", type=Path, default=Path("report.png"))
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: apt-get install chromium (or run `make report-check` as root)", file=sys.stderr)
        return 3
    report = json.loads(args.report.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        _screenshot(chromium, render_html(report, simulated=True), args.out, Path(tmp))
        picture = Path(tmp) / "timeline.png"
        svg_page = f'<!DOCTYPE html><html><body style="margin:0;background:#fff">{timeline_svg(report)}</body></html>'
        _screenshot(chromium, svg_page, picture, Path(tmp))
        problems = timeline_problems(report, picture.read_bytes())
    size = args.out.stat().st_size
    if problems:
        print(f"the timeline of {args.report} does not render: {'; '.join(problems)}", file=sys.stderr)
        return 1
    points = len(report.get("timeline", []))
    print(f"screenshot of the {report.get('outcome', '?')} drill report: {args.out} ({size} bytes);")
    print(f"timeline renders: {points} phase dots, the fault and the takeover lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
