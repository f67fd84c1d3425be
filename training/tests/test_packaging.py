"""The package metadata agrees with the pinned requirement files CI installs."""

import os
import tomllib

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def requirement_lines(name):
    with open(os.path.join(HERE, name)) as f:
        return sorted(line.strip() for line in f if line.strip() and not line.startswith("#"))


def test_dev_pins_agree():
    with open(os.path.join(HERE, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    assert sorted(project["optional-dependencies"]["dev"]) == requirement_lines("requirements-dev.txt")


def test_runtime_dependencies_admit_the_pinned_versions():
    with open(os.path.join(HERE, "pyproject.toml"), "rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    pinned = dict(line.split("==") for line in requirement_lines("requirements.txt"))
    for dep in deps:
        name, low = dep.split(">=")
        assert name in pinned, f"{name} is not pinned in requirements.txt"
        as_tuple = [tuple(int(p) for p in v.split(".")[:2]) for v in (pinned[name], low)]
        assert as_tuple[0] >= as_tuple[1], f"{name}=={pinned[name]} is below {dep}"
