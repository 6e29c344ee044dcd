"""What the distributed tests share: a check that prints what held and stops at what did not,
and the --start-at format."""
import sys


def fail(message):
    print("FAIL:", message)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print("ok:", message)


def iso(t):
    """A UTC datetime as --start-at takes it: 2026-12-02T05:00:00.250Z."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
