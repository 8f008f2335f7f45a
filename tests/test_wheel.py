"""The wheel carries the default rule packs and the sample as package data."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_rules_and_sample_and_finds_them_when_installed(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("devrecs-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "devrecs/rules/catalog.yaml" in names
    assert "devrecs/data/sample.yaml" in names
    shipped = {n[len("devrecs/rules/"):] for n in names if n.startswith("devrecs/rules/")}
    packs = [*(ROOT / "rules").glob("*.yaml"), *(ROOT / "rules" / "tests").glob("*.yaml")]
    assert shipped == {p.relative_to(ROOT / "rules").as_posix() for p in packs}   # the packs and their tests
    # install it into a fresh folder (its dependencies come from this environment) and use it
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    code = ("import devrecs, devrecs.packs as p; e = devrecs.Engine.default(); "
            "print(devrecs.__file__); print(p.default_rules_dir()); print(len(e.catalog), len(e.rules))")
    out = subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(target)!r}); {code}"],
                         check=True, capture_output=True, text=True, cwd=tmp_path).stdout.split("\n")
    assert out[0].startswith(str(target)) and out[1].startswith(str(target))
    catalog_size, rule_count = map(int, out[2].split())
    assert catalog_size >= 41 and rule_count == len(devrecs_rules())


def devrecs_rules():
    import devrecs
    return devrecs.Engine.default().rules


def test_every_package_of_the_source_is_in_the_wheel():
    """A sub-package left out of pyproject's list installs without it (devrecs.cli once was)."""
    import pytest
    tomllib = pytest.importorskip("tomllib")      # Python 3.11 and later
    root = Path(__file__).resolve().parents[1]
    listed = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    src = root / "src"
    found = {".".join(p.parent.relative_to(src).parts) for p in src.rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
