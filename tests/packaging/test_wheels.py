"""Every distribution builds a wheel ready to publish: the license text, classifiers, keywords, and its
own README as the long description."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = {
    "persist_core": "persist-core",
    "persist_fs": "persist-fs",
    "persist_memory": "persist-memory",
    "persist_etcd": "persist-etcd",
    "examples/sqlite_backend": "persist-sqlite-example",
}
LINUX_ONLY = {"persist-fs"}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check", "-w", str(out)]
        + [str(REPO / directory) for directory in DISTRIBUTIONS],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    found = {path.name.split("-")[0].replace("_", "-"): path for path in out.glob("*.whl")}
    assert sorted(found) == sorted(DISTRIBUTIONS.values())
    return found


def _metadata(wheel: Path) -> tuple[dict[str, list[str]], str, dict[str, bytes]]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (metadata_name,) = (name for name in names if name.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(archive.read(metadata_name).decode("utf-8"))
        licenses = {name: archive.read(name) for name in names if "/licenses/" in name}
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key, []).append(value)
    return fields, str(message.get_payload()), licenses


def test_the_license_text_is_at_the_root_and_in_every_wheel(wheels: dict[str, Path]) -> None:
    text = (REPO / "LICENSE").read_bytes()
    assert b"Apache License" in text and b"Version 2.0, January 2004" in text
    for directory in DISTRIBUTIONS:
        assert (REPO / directory / "LICENSE").read_bytes() == text, directory
    for name, wheel in wheels.items():
        fields, _, licenses = _metadata(wheel)
        assert fields["License-Expression"] == ["Apache-2.0"], name
        assert list(licenses.values()) == [text], name


@pytest.mark.parametrize(("directory", "name"), DISTRIBUTIONS.items())
def test_each_distribution_describes_itself(wheels: dict[str, Path], directory: str, name: str) -> None:
    fields, description, _ = _metadata(wheels[name])
    classifiers = fields["Classifier"]
    assert "Typing :: Typed" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert ("Operating System :: POSIX :: Linux" in classifiers) == (name in LINUX_ONLY)
    assert not [c for c in classifiers if c.startswith("License ::")]  # PyPI refuses them beside the expression
    assert len(fields["Keywords"][0].split(",")) >= 4
    readme = (REPO / directory / "README.md").read_text()
    assert description.strip() == readme.strip()
    assert readme.startswith(f"# {name}\n")
    assert "see the repository README" not in readme.lower()
