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

from .plugins import Plugins
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
    plugin: str = ""       # the plugin that adds it through devrecs_interventions


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


def _rule_paths(paths: Optional[Sequence[PathLike]], hooks: Plugins) -> list[Any]:
    if paths:
        return list(resolve_paths(list(paths)))
    return hooks.rule_paths()        # the built-in packs, and installed plugins' packs


def _files(path: Path, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in suffixes and p.is_file())
    return [path] if path.is_file() else []


def pack_files(paths: Sequence[PathLike]) -> list[str]:
    """Labels of the files under ``paths`` that are read as rule, catalog or table files
    (in a folder, other YAML and CSV files are skipped, as ``load_packs`` does)."""
    import yaml
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
                    doc = yaml.safe_load(text)
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


def plugin_entries(hooks: Plugins, from_plugins: Sequence[Any],
                   only: Optional[set[str]] = None) -> list[CatalogEntry]:
    """The interventions plugins add (of the plugins ``only`` names, when given), each located
    at the line of its id in the plugin's module, for lint's L107."""
    import inspect
    out = []
    for owner, entries in from_plugins:
        name = owner[len("plugin "):]
        if only is not None and name not in only:
            continue
        plugin = hooks.pm.get_plugin(name)
        try:
            source = inspect.getsourcefile(plugin if inspect.ismodule(plugin) else type(plugin)) or ""
            lines = Path(source).read_text(encoding="utf-8").splitlines() if source else []
        except (TypeError, OSError, UnicodeDecodeError):
            source, lines = "", []
        for i, (intervention, _) in enumerate(entries):
            line = next((n for n, text in enumerate(lines, 1) if repr(intervention.id) in text
                         or f'"{intervention.id}"' in text), 1)
            out.append(CatalogEntry(intervention, _label(Path(source)) if source else f"plugin {name}",
                                    line, name))
    return out


def check(paths: Optional[Sequence[PathLike]] = None, *, compile_rules: bool = True,
          plugins: Sequence[Any] = ()) -> Checked:
    """Read and check the rule packs under ``paths`` (None: the built-in and plugins' packs).
    ``plugins`` are plugins under development ((name, module) pairs, plugins.plugin_from_path),
    loaded as if installed: their catalog entries, and their packs when ``paths`` is None."""
    hooks = Plugins.load(list(plugins))
    rule_paths = _rule_paths(paths, hooks)
    given = [p for p in ((x[1] if isinstance(x, tuple) else x) for x in rule_paths)]
    if paths:
        given = [Path(p) for p in paths]          # not the default catalog added for them
    labels = tuple(pack_files(given))
    try:
        from_plugins = hooks.interventions()
    except RuleFileError as exc:
        return Checked(None, tuple(exc.problems), tuple(catalog_entries(given)), labels)
    under_test = {name for name, _ in plugins} if paths else None
    entries = tuple(catalog_entries(given)) + tuple(plugin_entries(hooks, from_plugins, under_test))
    try:
        packs = load_packs(rule_paths, from_plugins)
    except RuleFileError as exc:
        return Checked(None, tuple(exc.problems), entries, labels)
    if compile_rules:
        from .engine import RuleEngine
        try:
            RuleEngine(packs.rules, packs.catalog)
        except RuleFileError as exc:
            return Checked(None, tuple(exc.problems), entries, labels)
    return Checked(packs, (), entries, labels)


__all__ = ["CatalogEntry", "Checked", "catalog_entries", "check", "DevrecsError"]
