#!/usr/bin/env bash
# The html reporter's output from the raw-results fixture, opened in headless Chromium: every
# chart must render and the screenshot must not be blank. Exits 77 (skipped) only if Chromium
# is not installed; scripts/setup.sh installs it, so CI runs this.
set -euo pipefail
build=$1 source=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/bin/shootout" --log-level warn report --results "$source/tests/fixtures/results" --reporter html --output "$out"
python3 "$source/scripts/check-html-report.py" "$out/report.html" --screenshot "$out/report.png"
