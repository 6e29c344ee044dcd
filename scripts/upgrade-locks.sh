#!/usr/bin/env bash
# Re-resolves the lock files to the newest releases on PyPI, so a new release can be benchmarked
# and its change seen in git:
#
#   scripts/upgrade-locks.sh              every app's lock, and the tools' (py-spy)
#   scripts/upgrade-locks.sh fastapi      one app's (or "tools")
#
# Each lock, apps/<app>/requirements.txt (scripts/tools/requirements.txt for the tools), is made
# from the small top-level input beside it (requirements.in) by `uv pip compile --generate-hashes`:
# every package, transitive ones included, pinned with == and the hashes of all its files on PyPI
# (so the same lock installs in the Docker image, python:3.11-slim). It resolves for Python 3.11,
# the interpreter the venvs are built with (Debian 12's /usr/bin/python3). uv itself is installed,
# at a pinned version, into a venv of its own (.venvs/lock-tool) that nothing else uses.
# Then `scripts/setup.sh` rebuilds exactly the venvs whose lock changed; `git diff apps/*/requirements.txt`
# shows what moved.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
apps=(flask django fastapi aquilia sanic tornado)
uv_version=0.13.9   # the resolver; raise it here when wanted
python=${SHOOTOUT_VENV_PYTHON:-/usr/bin/python3}
tool=$root/.venvs/lock-tool

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${apps[@]}" tools)
for t in "${targets[@]}"; do
  case " ${apps[*]} tools " in
    *" $t "*) ;;
    *) echo "upgrade-locks: no app '$t'; known: ${apps[*]} tools" >&2; exit 2 ;;
  esac
done

if [ ! -x "$tool/bin/uv" ] || [ "$("$tool/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" != "$uv_version" ]; then
  echo "upgrade-locks: installing uv $uv_version into $tool"
  rm -rf "$tool"
  "$python" -m venv "$tool"
  "$tool/bin/pip" install -q --disable-pip-version-check "uv==$uv_version"
fi

failed=()
for t in "${targets[@]}"; do
  dir=$root/apps/$t
  [ "$t" = tools ] && dir=$root/scripts/tools
  echo "upgrade-locks: resolving $t (${dir#$root/}/requirements.in)"
  # --upgrade: the newest releases, ignoring what the current lock pins; --no-cache: what PyPI
  # serves now. The platform is the manylinux one pip accepts on Debian 12 and in the image.
  if ! (cd "$dir" && "$tool/bin/uv" pip compile --quiet --upgrade --no-cache --generate-hashes \
          --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
          --custom-compile-command "scripts/upgrade-locks.sh $t" \
          requirements.in -o requirements.txt); then
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "upgrade-locks: could not resolve: ${failed[*]} (see uv's message above; the old lock is left as it was)" >&2
  exit 1
fi
echo "upgrade-locks: done; see 'git diff -- apps/*/requirements.txt scripts/tools/requirements.txt', then run scripts/setup.sh"
