#!/usr/bin/env bash
# Installs shootout into a temporary prefix, builds examples/out-of-tree-plugin against the
# installed SDK with find_package(ShootoutSDK), and checks that the installed binary lists it,
# validates a manifest using it, and still finds its own plugins next to itself.
# Usage: out_of_tree_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
# A plugin shares the host's sanitizer runtime (cmake/Sanitizers.cmake): build it as the host was.
sanitize=$(sed -n 's/^SHOOTOUT_SANITIZE:STRING=//p' "$build/CMakeCache.txt")
cmake -S "$src/examples/out-of-tree-plugin" -B "$work/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release -DSHOOTOUT_SANITIZE="$sanitize" >"$work/configure.log" 2>&1 \
  || { cat "$work/configure.log"; fail "configure"; }
cmake --build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; fail "build"; }
[ -f "$work/build/plugins/reporter-tsv.so" ] || fail "no reporter-tsv.so in $work/build/plugins"

shootout="$work/prefix/bin/shootout"
listing=$(SHOOTOUT_PLUGIN_PATH="$work/build/plugins" "$shootout" list-plugins)
echo "$listing"
grep -q "^reporter  tsv .*$work/build/plugins/reporter-tsv.so\$" <<<"$listing" || fail "tsv not listed"
grep -q "^scenario  ping .*$work/prefix/lib/shootout/plugins/scenario-ping.so\$" <<<"$listing" \
  || fail "the installed binary does not find its own plugins"

SHOOTOUT_PLUGIN_PATH="$work/build/plugins" "$shootout" list-plugins --json | python3 -c '
import json, sys
doc = json.load(sys.stdin)
tsv = [p for p in doc["plugins"] if p["id"] == "tsv"]
assert len(tsv) == 1 and tsv[0]["kind"] == "reporter", doc
assert tsv[0]["options"][0]["key"] == "file", tsv
' || fail "list-plugins --json"

cat >"$work/m.toml" <<TOML
plugin_paths = ["$work/build/plugins"]
scenarios = ["ping"]
patterns = ["steady"]
reporters = ["tsv"]
[reporter.tsv]
file = "out.tsv"
[[framework]]
name = "x"
url = "http://127.0.0.1:9"
TOML
"$shootout" validate --config "$work/m.toml" || fail "validate with the out-of-tree reporter"

# Installed next to the built-in plugins, it is found with no path at all.
cmake --install "$work/build" --prefix "$work/prefix" >/dev/null
"$shootout" list-plugins | grep -q "^reporter  tsv .*$work/prefix/lib/shootout/plugins/reporter-tsv.so\$" \
  || fail "installed plugin not found next to the binary"
echo "out-of-tree plugin: ok"
