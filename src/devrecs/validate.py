"""``devrecs validate``: every problem of every rule, catalog and table file, at once.

Rule files are read exactly as the engine reads them (``packs.load_packs``,
with the default catalog and installed plugins' interventions), then
compiled for durable-rules, whose size limits only show at that point
(``E130``). A file that cannot be read as YAML gives one problem and the
other files are still checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import attrs

from . import plugins as plugin_hooks
from .catalog import read_catalog_doc
from .errors import DevrecsError, Problem, RuleFileError
from .model import Intervention
from .packs import Packs, PathLike, load_packs, resolve_paths
from .rulefile import located
from .rulefile.located import LMap


@attrs.frozen
class CatalogEntry:
    intervention: Intervention
    file: str
    line: int


@attrs.frozen
class Checked:
    """What ``check`` found: the packs (None when there are problems) and every problem."""

    packs: Optional[Packs]
    problems: tuple[Problem, ...]
    catalog_entries: tuple[CatalogEntry, ...]     # from catalog files among the paths checked
    file_labels: tuple[str, ...] = ()              # rule, catalog and table files among them

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def files(self) -> int:
        """Rule files, decision tables and catalog files read from the paths checked."""
        return len(self.file_labels)

    @property
    def rules(self) -> int:
        return len(self.packs.rules) if self.packs is not None else 0

    def summary(self) -> str:
        if self.ok:
            return f"{self.files} files, {self.rules} rules: no problems"
        return f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"

    def to_dict(self) -> dict:
        return {"files": self.files, "rules": self.rules, "problems": [p.to_dict() for p in self.problems]}


def _rule_paths(paths: Optional[Sequence[PathLike]], pm: Any) -> list[Any]:
    if paths:
        return list(resolve_paths(list(paths)))
    return plugin_hooks.rule_paths(pm)        # the built-in packs, and installed plugins' packs


def _files(path: Path, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in suffixes and p.is_file())
    return [path] if path.is_file() else []


def pack_files(paths: Sequence[PathLike]) -> list[str]:
    """Labels of the files under ``paths`` that are read as rule, catalog or table files
    (in a folder, other YAML and CSV files are skipped, as ``load_packs`` does)."""
    out: list[str] = []
    for raw in paths:
        path = Path(raw)
        explicit = not path.is_dir()
        for file in _files(path, (".yaml", ".yml", ".csv")):
            label = _label(file)
            if label in out:
                continue
            if explicit:
                out.append(label)
                continue
            try:
                text = file.read_text(encoding="utf-8-sig")
                if file.suffix == ".csv":
                    header = text.splitlines()[0] if text else ""
                    keep = "recommend" in header.lower()
                else:
                    doc = located.load(text, label, located=False)
                    keep = isinstance(doc, dict) and bool({"rules", "ruleset", "interventions"} & set(doc))
            except Exception:        # unreadable: load_packs reports it
                keep = True
            if keep:
                out.append(label)
    return out


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def catalog_entries(paths: Sequence[PathLike]) -> list[CatalogEntry]:
    """The interventions of the catalog files among ``paths`` (files or folders), with their line."""
    out: list[CatalogEntry] = []
    seen: set[Path] = set()
    for raw in paths:
        for file in _files(Path(raw)):
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            label = _label(file)
            try:
                doc = located.load(file.read_text(encoding="utf-8"), label)
            except (located.YamlError, OSError, UnicodeDecodeError):
                continue
            if isinstance(doc, LMap) and "interventions" in doc:
                entries, _ = read_catalog_doc(doc, label)
                for intervention, where in entries:
                    out.append(CatalogEntry(intervention, label, int(where.rpartition(":")[2] or 1)))
    return out


def check(paths: Optional[Sequence[PathLike]] = None, *, compile_rules: bool = True) -> Checked:
    """Read and check the rule packs under ``paths`` (None: the built-in and plugins' packs)."""
    pm = plugin_hooks.plugin_manager()
    rule_paths = _rule_paths(paths, pm)
    given = [p for p in ((x[1] if isinstance(x, tuple) else x) for x in rule_paths)]
    if paths:
        given = [Path(p) for p in paths]          # not the default catalog added for them
    entries = tuple(catalog_entries(given))
    labels = tuple(pack_files(given))
    try:
        packs = load_packs(rule_paths, plugin_hooks.interventions(pm))
    except RuleFileError as exc:
        return Checked(None, tuple(exc.problems), entries, labels)
    if compile_rules:
        from .engine import Engine
        try:
            Engine(packs.rules, packs.catalog)
        except RuleFileError as exc:
            return Checked(None, tuple(exc.problems), entries, labels)
    return Checked(packs, (), entries, labels)


__all__ = ["CatalogEntry", "Checked", "catalog_entries", "check", "DevrecsError"]
