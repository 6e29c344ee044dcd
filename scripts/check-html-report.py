#!/usr/bin/env python3
"""Open an HTML report in headless Chromium, offline, and check that every chart rendered.

    scripts/check-html-report.py results/latest/report.html [--screenshot report.png]

Checks: the report references nothing outside itself; the page's own check (an inline script
that counts the SVG charts and the data marks each one drew) ran and found every chart drawn;
and a screenshot of the page is not blank. Prints what it found; exits 0 if all is well, 1 if
not, 77 if Chromium is not installed (scripts/setup.sh installs Debian's `chromium`).
Only the Python standard library is used.
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_chromium(binary, profile, *args):
    command = [binary, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
               "--disable-background-networking", "--no-proxy-server", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def png_nonwhite_fraction(path):
    """Fraction of pixels that are not (near) white, decoding the PNG by hand (8-bit RGB/RGBA)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError(f"{path}: unsupported PNG (depth {depth}, colour type {colour})")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    nonwhite = total = 0
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            upleft = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - upleft
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - upleft)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else upleft)) & 0xFF
        if y % 4 == 0:  # every fourth row is plenty to tell a drawn page from a blank one
            for x in range(0, stride, channels * 2):
                total += 1
                if min(line[x], line[x + 1], line[x + 2]) < 240:
                    nonwhite += 1
        previous = line
    return nonwhite / max(total, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("report", help="the report.html to check")
    parser.add_argument("--screenshot", help="also keep the screenshot here (PNG)")
    args = parser.parse_args()

    binary = chromium()
    if not binary:
        print("SKIP: chromium is not installed; run scripts/setup.sh (it installs Debian's chromium)")
        return 77
    report = os.path.abspath(args.report)
    with open(report, encoding="utf-8") as f:
        source = f.read()
    problems = []

    external = re.findall(r'(?:src|href)\s*=\s*"(?:https?:)?//[^"]*"|url\(\s*["\']?(?:https?:)?//|@import', source)
    if external:
        problems.append(f"the report references outside resources: {external[:3]}")
    expected = len(re.findall(r'<svg class="chart"', source))

    with tempfile.TemporaryDirectory() as profile:
        dom = run_chromium(binary, profile, "--virtual-time-budget=5000", "--dump-dom", "file://" + report)
        if dom.returncode != 0:
            problems.append(f"chromium --dump-dom failed ({dom.returncode}): {dom.stderr.strip()[-400:]}")
        check = re.search(r'<p id="render-check"([^>]*)>(.*?)</p>', dom.stdout, re.S)
        if not check:
            problems.append("the page has no #render-check element")
        else:
            attributes = dict(re.findall(r'data-([a-z]+)="([^"]*)"', check.group(1)))
            print(f"render check: {check.group(2).strip()}")
            if attributes.get("status") != "done":
                problems.append("the page's chart check did not run (is JavaScript blocked?)")
            elif int(attributes.get("charts", -1)) != expected:
                problems.append(f"the page counted {attributes.get('charts')} charts, the file has {expected}")
            elif int(attributes.get("empty", -1)) != 0:
                problems.append(f"{attributes.get('empty')} chart(s) drew nothing: {check.group(2).strip()}")
        if expected == 0:
            problems.append("the report has no chart at all")

        shot = args.screenshot or os.path.join(profile, "report.png")
        taken = run_chromium(binary, profile, f"--screenshot={os.path.abspath(shot)}", "--window-size=1400,4000",
                             "--hide-scrollbars", "file://" + report)
        if taken.returncode != 0 or not os.path.exists(shot):
            problems.append(f"chromium could not take a screenshot ({taken.returncode}): {taken.stderr.strip()[-400:]}")
        else:
            drawn = png_nonwhite_fraction(shot)
            print(f"screenshot: {shot}: {100 * drawn:.1f} % of the page is not white")
            if drawn < 0.01:
                problems.append("the screenshot is blank")

    for p in problems:
        print(f"FAIL: {p}")
    if not problems:
        print(f"ok: {expected} chart(s) rendered")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
