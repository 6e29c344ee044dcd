#!/usr/bin/python3
"""docker-compose.yml, the Dockerfile, the apps and shootout.docker.toml agree with each other.

No Docker engine runs on the build machines, so the containers are never started here; what can
be checked without one is checked: `docker-compose config` validates and resolves the compose
file (schema, interpolation of the defaults), and the resolved services must match the manifest
that measures them (ports, container names, WebSocket support), run the same code as the local
apps (the apps/<app> directory, started by its serve.sh), pin every Python dependency, pin the
frameworks Debian also ships to Debian's major.minor version, and leave PostgreSQL enough
connections for every app's pools.

Usage: compose_consistency_test.py SOURCE_DIR     (exit 0: consistent; 1: the problems, listed;
77: docker-compose is not installed, so the test is skipped)
"""
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.parse

import yaml

APPS = ["flask", "django", "fastapi", "aquilia", "sanic", "tornado"]
# The module each framework's app imports, for the frameworks Debian 12 packages.
DEBIAN_MODULES = {"flask": "flask", "django": "django", "fastapi": "fastapi", "tornado": "tornado",
                  "gunicorn": "gunicorn", "uvicorn": "uvicorn"}


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
        requirements = os.path.join(app_dir, "requirements.txt")
        if not os.path.isfile(requirements):
            continue
        for line in open(requirements):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            match = re.fullmatch(r"([A-Za-z0-9_.\[\]-]+)==([0-9][0-9A-Za-z.]*)", line)
            if not match:
                problems.append(f"apps/{app}/requirements.txt: '{line}' is not pinned with ==")
                continue
            package, version = match.group(1).lower(), match.group(2)
            module = DEBIAN_MODULES.get(package)
            if module is None:
                continue
            local = subprocess.run(["/usr/bin/python3", "-c", f"import {module}; print(getattr({module}, '__version__', "
                                    f"getattr({module}, 'version', '')))"], capture_output=True, text=True)
            if local.returncode != 0:
                continue  # not installed here: nothing to compare with
            if local.stdout.strip().split(".")[:2] != version.split(".")[:2]:
                problems.append(f"apps/{app}/requirements.txt pins {package}=={version}, but Debian's {module} is "
                                f"{local.stdout.strip()}: Docker and local runs would measure different versions")

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
          else f"consistent: {len(APPS)} apps, their images, ports, containers and pins")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
