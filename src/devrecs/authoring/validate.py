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

from ..catalog import read_catalog_doc
from ..errors import DevrecsError, Problem, RuleFileError
from ..model import Intervention
from ..packs import Packs, PathLike, load_packs, resolve_paths
from ..plugins.manager import Plugins
from ..rulefile import located
from ..rulefile.located import LMap


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
        for intervention, _ in entries:
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
        from ..engine.core import RuleEngine
        try:
            RuleEngine(packs.rules, packs.catalog)
        except RuleFileError as exc:
            return Checked(None, tuple(exc.problems), entries, labels)
    return Checked(packs, (), entries, labels)


__all__ = ["CatalogEntry", "Checked", "catalog_entries", "check", "DevrecsError"]


# -- protected attributes, by any name (E140) ------------------------------------------------------
#
# A rule may not test a protected attribute (facts.protected_name: by name, loosely, with
# look-alike words). Two more ways in are checked where they can be seen: a mapping that
# renames a protected column (mapping.DataMapping.protected_facts) and a plugin that derives
# a fact from one (plugin_derived_facts). Both give the fact paths with the reason.

# Probe values for plugin_derived_facts: for each protected attribute, values a plugin could
# tell apart.
PROBES: tuple[tuple[str, tuple[Any, ...]], ...] = (
    ("gender", ("female", "male")), ("Gender", ("Female", "Male")), ("sex", ("F", "M")),
    ("age", (24, 58)), ("Age", (24, 58)), ("birth_year", (1967, 2001)), ("date_of_birth", ("1967-03-04", "2001-09-30")),
    ("dob", ("1967-03-04", "2001-09-30")), ("ethnicity", ("group a", "group b")), ("race", ("group a", "group b")),
    ("marital_status", ("single", "married")), ("MaritalStatus", ("Single", "Married")),
    ("religion", ("faith a", "faith b")), ("nationality", ("country a", "country b")),
    ("disability", (True, False)), ("pregnancy", (True, False)), ("sexual_orientation", ("a", "b")),
)


def plugin_derived_facts(plugin_manager: Optional[Plugins]) -> dict[str, str]:
    """Facts the plugins' ``devrecs_enrich_person`` derive from a protected attribute: fact path
    -> reason. Found by twins: the same probe person with two values of one protected
    attribute; a fact the plugins give differently to the two (and the same to one person
    twice, so a fact that changes anyway is not blamed) is derived from it."""
    if plugin_manager is None or not plugin_manager.enriches:
        return {}
    from ..model import Person, Track

    def added(extra: dict) -> Optional[dict[str, Any]]:
        person = Person(id="devrecs-protected-probe", track=Track.INDIVIDUAL_CONTRIBUTOR, level=3, extra=extra)
        out: dict[str, Any] = {}
        try:
            for name, facts in plugin_manager.enrich_each(person):
                if isinstance(facts, dict):
                    out.update({k: (name, repr(v)) for k, v in facts.items() if k != "history" and k not in extra})
        except Exception:      # a plugin that cannot take the probe tells nothing
            return None
        return out

    steady = added({})
    again = added({})
    if steady is None or again is None:
        return {}
    moving = {k for k in set(steady) | set(again) if steady.get(k) != again.get(k)}
    found: dict[str, str] = {}
    for key, values in PROBES:
        outs = [added({key: v}) for v in values]
        if any(o is None for o in outs):
            continue
        for fact in set(outs[0]) | set(outs[1]):
            if fact in moving or outs[0].get(fact) == outs[1].get(fact):
                continue
            plugin = (outs[0].get(fact) or outs[1].get(fact))[0]
            found.setdefault(f"extra.{fact}", f"plugin '{plugin}' derives it from '{key}', a protected attribute")
    return found


def protected_problems(rules: Sequence[Any], protected: Optional[dict[str, str]] = None,
                       plugin_manager: Any = None) -> list[Problem]:
    """E140 for every rule condition on a protected attribute: by name (facts.protected_name,
    when certain), or one of ``protected`` (fact path -> reason: a mapping's renamed columns),
    or a fact a plugin derives from one (``plugin_derived_facts``)."""
    from ..facts import protected_name
    from ..rulefile.conditions import leaves
    known = dict(protected or {})
    for path, reason in plugin_derived_facts(plugin_manager).items():
        known.setdefault(path, reason)
    problems = []
    for rule in rules:
        for leaf in leaves(rule.when):
            reason = known.get(leaf.path)
            if reason is None and leaf.path.startswith("extra."):
                named = protected_name(leaf.path[len("extra."):])
                reason = named.reason if named is not None and named.certain else None
            if reason is not None:
                problems.append(Problem(rule.file or "<rules>", leaf.loc[0] or rule.line, leaf.loc[1] or 1, "E140",
                                        f"rule '{rule.id}' tests '{leaf.path}', a protected attribute ({reason}): "
                                        f"it may be audited but no rule may test it"))
    return problems


def refuse_protected(rules: Sequence[Any], protected: Optional[dict[str, str]] = None,
                     plugin_manager: Any = None) -> None:
    """Raise RuleFileError (E140) when ``protected_problems`` finds any."""
    problems = protected_problems(rules, protected, plugin_manager)
    if problems:
        raise RuleFileError(problems)


def mapping_protected(rules: Sequence[Any], mapping: Any) -> list[str]:
    """Rules checked against a mapping (mapping.DataMapping, or None): raise RuleFileError
    (E140) when a rule tests a fact the mapping fills from a protected column; return one
    warning line (W140) per rule condition on a fact that only may be protected."""
    if mapping is None:
        return []
    from ..rulefile.conditions import leaves
    refuse_protected(rules, mapping.protected_facts())
    guesses = mapping.protected_facts(guesses=True)
    out = []
    for rule in rules:
        for leaf in dict.fromkeys(leaves(rule.when)):
            if leaf.path in guesses:
                out.append(f"warning: {rule.file or '<rules>'}:{leaf.loc[0] or rule.line}:{leaf.loc[1] or 1}: "
                           f"W140 rule '{rule.id}' tests '{leaf.path}', which may be a protected attribute "
                           f"({guesses[leaf.path]})")
    return list(dict.fromkeys(out))


def _proxy_of(people: Sequence[Any], key: str, attributes: Sequence[str]) -> Optional[str]:
    """The audited attribute whose groups ``extra.key`` relabels one to one in these people
    (each value in one group, each group with one value; two groups at least), or None."""
    from ..reports.fairness import UNKNOWN, group_of
    for attribute in attributes:
        if normal_key_of(attribute) == normal_key_of(key):
            continue
        pairs = {(p.extra.get(key), group_of(p, attribute)) for p in people
                 if p.extra.get(key) not in (None, "") and group_of(p, attribute) != UNKNOWN}
        values = {v for v, _ in pairs}
        groups = {g for _, g in pairs}
        if len(groups) >= 2 and len(pairs) == len(values) == len(groups):
            return attribute
    return None


def normal_key_of(name: str) -> str:
    from ..facts import normal_key
    return normal_key(name)


def value_warnings(rules: Sequence[Any], people: Sequence[Any], limit: int = 5000,
                   attributes: Sequence[str] = ()) -> list[str]:
    """W140 lines for rule conditions on extra facts whose values, in these people (the first
    ``limit``), look like a protected attribute's (facts.protected_values: gender codes, years
    or dates of birth) or relabel one of the audited ``attributes`` one to one (a renamed
    copy). A guess: DEVRECS_NOT_PROTECTED (or not_protected: in a mapping) settles it."""
    from ..facts import normal_key, not_protected_names, protected_values
    from ..rulefile.conditions import leaves
    tested: dict[str, list[Any]] = {}
    for rule in rules:
        for leaf in leaves(rule.when):
            if leaf.path.startswith("extra.") and normal_key(leaf.path[len("extra."):]) not in not_protected_names():
                tested.setdefault(leaf.path, []).append(rule)
    out = []
    for path, rules_on in tested.items():
        key = path[len("extra."):]
        why = protected_values([p.extra.get(key) for p in people[:limit]])
        if why is None:
            proxy = _proxy_of(people[:limit], key, attributes)
            if proxy is None:
                continue
            why = f"in these people its values stand one for one for the groups of '{proxy}'"
        for rule in dict.fromkeys(rules_on):
            out.append(f"warning: {rule.file or '<rules>'}:{rule.line}:1: W140 rule '{rule.id}' tests '{path}', "
                       f"which may be a protected attribute ({why}); if it is not, set "
                       f"DEVRECS_NOT_PROTECTED={key}")
    return out
