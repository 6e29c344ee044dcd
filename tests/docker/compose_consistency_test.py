#!/usr/bin/python3
"""docker-compose.yml, the Dockerfile, the apps and shootout.docker.toml agree with each other.

No Docker engine runs on the build machines, so the containers are never started here; what can
be checked without one is checked: `docker-compose config` validates and resolves the compose
file (schema, interpolation of the defaults), and the resolved services must match the manifest
that measures them (ports, container names, WebSocket support), run the same code as the local
apps (the apps/<app> directory, started by its serve.sh), and leave PostgreSQL enough connections
for every app's pools. The image and the local environment install the same lock file: the
Dockerfile and scripts/setup.sh both `pip install --require-hashes -r` apps/<app>/requirements.txt,
which pins every package with == and hashes; and where setup has built the local venv
(.venvs/<app>), it was built from that very file (its stored SHA-256) and holds exactly the
versions the lock pins.

Usage: compose_consistency_test.py SOURCE_DIR     (exit 0: consistent; 1: the problems, listed;
77: docker-compose is not installed, so the test is skipped)
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.parse

import yaml

APPS = ["flask", "django", "fastapi", "aquilia", "sanic", "tornado"]
# The versions installed in a venv, by normalised distribution name.
INSTALLED = ("import importlib.metadata as m, json, re; print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): "
             "d.version for d in m.distributions()}))")


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(path, name, problems):
    """{package: version} of a pip lock file; every requirement must be name==version with hashes."""
    pins = {}
    text = open(path).read().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        # name[extras]==version [; marker] --hash=sha256:... (pip's hash-checking format)
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[A-Za-z0-9_,.-]+\])?==([0-9][0-9A-Za-z.+!-]*)(?:\s*;[^-]*)?"
                             r"((?:\s+--hash=sha256:[0-9a-f]{64})*)", line)
        if not match:
            problems.append(f"{name}: '{line[:80]}' is not pinned as name==version with --hash")
            continue
        if not match.group(4):
            problems.append(f"{name}: {match.group(1)}=={match.group(3)} has no --hash")
        pins[normalise(match.group(1))] = match.group(3)
    return pins


def main(source):
    compose_bin = shutil.which("docker-compose")
    if not compose_bin:
        print("skipped: docker-compose is not installed (scripts/setup.sh installs it)")
        return 77
    problems = []
    resolved = subprocess.run([compose_bin, "-f", os.path.join(source, "docker-compose.yml"), "config"],
                              capture_output=True, text=True, timeout=60, env={**os.environ, "COMPOSE_PROJECT_NAME": "shootout"})
    if resolved.returncode != 0:
        print(f"docker-compose.yml does not validate:\n{resolved.stderr}")
        return 1
    services = yaml.safe_load(resolved.stdout)["services"]
    with open(os.path.join(source, "shootout.docker.toml"), "rb") as f:
        manifest = tomllib.load(f)
    frameworks = {fw["name"]: fw for fw in manifest.get("framework", [])}

    if sorted(services) != sorted(APPS + ["postgres"]):
        problems.append(f"services are {sorted(services)}, expected the six apps and postgres")
    for app in APPS:
        svc = services.get(app)
        if svc is None:
            continue
        where = f"docker-compose.yml service '{app}'"
        build = svc.get("build", {})
        if os.path.normpath(build.get("context", "")) != os.path.normpath(os.path.join(source, "apps")):
            problems.append(f"{where}: build context {build.get('context')}, expected apps/")
        if build.get("dockerfile") != "shared/Dockerfile" or build.get("args", {}).get("APP") != app:
            problems.append(f"{where}: must build apps/shared/Dockerfile with APP={app}")
        for key in ("healthcheck", "cpus", "mem_limit"):
            if key not in svc:
                problems.append(f"{where}: no {key}")
        ports = [(p.get("published"), p.get("target")) for p in svc.get("ports", [])]
        fw = frameworks.get(app)
        if fw is None:
            problems.append(f"shootout.docker.toml: no [[framework]] named '{app}'")
            continue
        port = urllib.parse.urlsplit(fw["url"]).port
        if (port, 8080) not in [(int(a), int(b)) for a, b in ports]:
            problems.append(f"{where}: ports {ports} do not publish the manifest's {fw['url']} (port {port}) to 8080")
        if fw.get("container") != svc.get("container_name"):
            problems.append(f"{where}: container_name {svc.get('container_name')!r}, but the manifest samples "
                            f"container {fw.get('container')!r}")
        app_dir = os.path.join(source, "apps", app)
        for name in ("app.py", "serve.sh", "requirements.txt"):
            if not os.path.isfile(os.path.join(app_dir, name)):
                problems.append(f"apps/{app}/{name} is missing: the image would not run the local app's code")
        # The contract says Flask and Django have no WebSocket: the manifest must say so.
        if (app in ("flask", "django")) != (fw.get("websocket", True) is False):
            problems.append(f"shootout.docker.toml framework '{app}': websocket must be false exactly for flask and django")
        lock = os.path.join(app_dir, "requirements.txt")
        if not os.path.isfile(lock):
            continue
        pins = lock_pins(lock, f"apps/{app}/requirements.txt", problems)
        # The local venv, where setup built it: from this lock, with exactly its versions.
        venv = os.path.join(source, ".venvs", app)
        stamp = os.path.join(venv, ".lock-sha256")
        if os.path.isfile(stamp):
            digest = hashlib.sha256(open(lock, "rb").read()).hexdigest()
            if open(stamp).read().split()[0] != digest:
                problems.append(f".venvs/{app} was built from another apps/{app}/requirements.txt than the one here "
                                f"(the image installs this one): run scripts/setup.sh")
            else:
                installed = subprocess.run([os.path.join(venv, "bin", "python"), "-c", INSTALLED], capture_output=True,
                                           text=True, timeout=60)
                if installed.returncode != 0:
                    problems.append(f".venvs/{app}: cannot list its packages: {installed.stderr.strip()[-300:]}")
                else:
                    have = json.loads(installed.stdout)
                    for package, version in sorted(pins.items()):
                        if have.get(package) != version:
                            problems.append(f".venvs/{app} has {package} {have.get(package, 'not installed')}, but "
                                            f"apps/{app}/requirements.txt (installed by the image) pins {version}")

    # The Dockerfile and setup.sh install each app's lock file, with --require-hashes.
    dockerfile = open(os.path.join(source, "apps", "shared", "Dockerfile")).read()
    if not re.search(r"^COPY \$\{APP\}/requirements\.txt /app/requirements\.txt$", dockerfile, re.M) or \
            not re.search(r"^RUN pip install --require-hashes -r /app/requirements\.txt$", dockerfile, re.M):
        problems.append("apps/shared/Dockerfile must COPY ${APP}/requirements.txt and `pip install --require-hashes -r` it")
    # The shared code of the four extra endpoints: serve.sh finds it at $HERE/../shared/python,
    # which is apps/shared/python in the checkout and must be /shared/python in the image (/app/..).
    if not re.search(r"^COPY shared/python/ /shared/python/$", dockerfile, re.M) or \
            not re.search(r"^WORKDIR /app$", dockerfile, re.M):
        problems.append("apps/shared/Dockerfile must COPY shared/python/ to /shared/python/ (serve.sh puts "
                        "$HERE/../shared/python on PYTHONPATH, and $HERE is /app)")
    for app in APPS:
        if "PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$HERE/../shared/python" not in \
                open(os.path.join(source, "apps", app, "serve.sh")).read():
            problems.append(f"apps/{app}/serve.sh must put $HERE/../shared/python on PYTHONPATH (extra_endpoints)")
    setup = open(os.path.join(source, "scripts", "setup.sh")).read()
    if "--require-hashes" not in setup or not re.search(r'install_venv "\$app" "\$root/apps/\$app/requirements\.txt"', setup) \
            or not all(app in re.search(r"for app in ([a-z ]+); do", setup).group(1).split() for app in APPS):
        problems.append("scripts/setup.sh must install every app's venv from apps/<app>/requirements.txt with --require-hashes")

    # Every app's pools must fit in PostgreSQL's max_connections.
    pg = services.get("postgres", {})
    command = " ".join(pg.get("command", []))
    max_conn = re.search(r"max_connections=(\d+)", command)
    env = services.get("fastapi", {}).get("environment", {})
    workers, pool = int(env.get("WORKERS", 1)), int(env.get("DB_POOL_MAX", 1))
    if not max_conn:
        problems.append("docker-compose.yml service 'postgres': no max_connections in its command")
    elif int(max_conn.group(1)) < len(APPS) * workers * pool + 10:
        problems.append(f"postgres max_connections={max_conn.group(1)} is below {len(APPS)} apps x {workers} workers x "
                        f"{pool} pool + 10")

    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s) in docker-compose.yml, apps/ and shootout.docker.toml" if problems
          else f"consistent: {len(APPS)} apps, their images, ports, containers, and one lock file each for image and venv")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
