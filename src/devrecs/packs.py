"""Find and read rule packs: rule files and catalog files, every problem at once.

A path is a YAML file or a folder of them (``*.yaml`` / ``*.yml``, not
recursive). A file with ``interventions:`` at the top is a catalog file;
one with ``rules:`` is a rule file. In a folder, other YAML files (rule
tests, for example) are skipped; a file named explicitly must be one of
the two. A ``*.csv`` file with a ``recommend`` column is a decision table
(rulefile/decision_table.py); in a folder, other CSV files are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

import attrs

from .catalog import Catalog, merge_entries, read_catalog_doc
from .errors import Problem, RuleFileError
from .facts import PERSON_FACTS
from .model import Intervention, Rule
from .rulefile import decision_table, located
from .rulefile.located import LMap
from .rulefile.parse import RuleFile, read_rule_doc

PathLike = Union[str, Path]


def default_rules_dir() -> Path:
    """The folder of the built-in packs (the repository's top-level rules/, shipped in the wheel)."""
    here = Path(__file__).resolve().parent
    installed = here / "rules"               # a wheel install: devrecs/rules/
    if installed.is_dir():
        return installed
    return here.parents[1] / "rules"         # an editable install: the checkout's rules/


# the owner of the built-in packs: a plugin rule with the same id replaces a built-in one
BUILTIN_OWNER = "devrecs.rules"


@attrs.frozen
class Override:
    """A plugin's rule that replaced a built-in rule of the same id."""

    rule: str
    plugin: str
    replaced: str        # file:line of the built-in rule


@attrs.frozen
class Packs:
    catalog: Catalog
    rules: tuple[Rule, ...]
    files: tuple[RuleFile, ...]
    overrides: tuple[Override, ...] = ()


def _yaml_files(path: Path) -> tuple[list[Path], bool]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".csv") and p.is_file()), False
    return [path], True


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def load_packs(rule_paths: Iterable[Union[PathLike, tuple[str, PathLike]]],
               catalog_sources: Sequence[tuple[str, list[tuple[Intervention, str]]]] = (),
               ) -> Packs:
    """Read every catalog and rule file under ``rule_paths``; raise RuleFileError with all problems.

    A path may come as (owner, path): the plugin that added it. A rule of a
    plugin replaces a built-in rule (owner BUILTIN_OWNER) with the same id;
    any other repeated id is an error. ``catalog_sources`` are catalog
    entries from elsewhere (plugins), each with an owner name for errors.
    """
    problems: list[Problem] = []
    rule_docs: list[tuple[str, str, LMap]] = []
    catalogs: list[tuple[str, list[tuple[Intervention, str]]]] = list(catalog_sources)
    seen: set[Path] = set()
    catalog_texts: set[bytes] = set()
    named: set[str] = set()
    owners: dict[str, str] = {}       # file label -> the plugin whose pack it is
    for item in rule_paths:
        owner, raw_path = item if isinstance(item, tuple) else ("", item)
        path = Path(raw_path)
        if not path.exists():
            problems.append(Problem(str(raw_path), 1, 1, "E100", "no such file or folder"))
            continue
        files, explicit = _yaml_files(path)
        for file in files:
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            label = _label(file)
            owners[label] = owner
            if file.suffix == ".csv":
                table, found = decision_table.read_table(file, label, explicit)
                problems.extend(found)
                if table is not None:
                    rule_docs.append((owner, label, table))
                continue
            try:
                doc = located.load(file.read_text(encoding="utf-8"), label)
            except located.YamlError as exc:
                problems.append(exc.problem)
                continue
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(label, 1, 1, "E100", f"cannot read: {exc}"))
                continue
            if isinstance(doc, LMap) and "interventions" in doc:
                text = file.read_bytes()
                if text in catalog_texts:     # the same catalog again (a copy of the built-in one)
                    continue
                catalog_texts.add(text)
                entries, found = read_catalog_doc(doc, label)
                problems.extend(found)
                catalogs.append((label, entries))
                if found and isinstance(doc["interventions"], list):
                    # an entry with a problem of its own: rules may still name its id
                    named.update(str(e["id"]) for e in doc["interventions"] if isinstance(e, dict) and "id" in e)
            elif isinstance(doc, LMap) and ("rules" in doc or "ruleset" in doc):
                rule_docs.append((owner, label, doc))
            elif explicit:
                problems.append(Problem(label, 1, 1, "E102",
                                        "not a rule file ('ruleset:' and 'rules:') nor a catalog ('interventions:')"))
    catalog = Catalog()
    try:
        catalog = merge_entries(catalogs)
    except RuleFileError as exc:
        problems.extend(exc.problems)
        # keep the ids, so that rules are not also reported for using them
        catalog = Catalog(i for _, entries in catalogs for i, _ in entries)
    files_read: list[tuple[str, RuleFile]] = []
    for owner, label, doc in rule_docs:
        parsed, found = read_rule_doc(doc, label, [*catalog.ids, *named], PERSON_FACTS)
        problems.extend(found)
        if parsed is not None:
            files_read.append((owner, parsed))
    rules, overrides, found = _merge_rules(files_read)
    problems.extend(found)
    if problems:
        raise RuleFileError([_owned(p, owners.get(p.file, "")) for p in problems])
    return Packs(catalog, tuple(rules), tuple(f for _, f in files_read), tuple(overrides))


def _merge_rules(files: list[tuple[str, RuleFile]]) -> tuple[list[Rule], list[Override], list[Problem]]:
    """All rules in file order; a plugin's rule replaces the built-in one with its id."""
    chosen: dict[str, tuple[str, Rule]] = {}
    overrides, problems = [], []
    for owner, f in files:
        for rule in f.rules:
            if rule.id not in chosen:
                chosen[rule.id] = (owner, rule)
                continue
            first_owner, first = chosen[rule.id]
            if first_owner == BUILTIN_OWNER and owner not in ("", BUILTIN_OWNER) and rule.replaces:
                chosen[rule.id] = (owner, rule)
                overrides.append(Override(rule.id, owner, f"{first.file}:{first.line}"))
            elif owner == BUILTIN_OWNER and first_owner not in ("", BUILTIN_OWNER) and first.replaces:
                overrides.append(Override(rule.id, first_owner, f"{rule.file}:{rule.line}"))
            elif BUILTIN_OWNER in (owner, first_owner) and owner != first_owner:
                plugin, mine = (owner, rule) if first_owner == BUILTIN_OWNER else (first_owner, first)
                builtin = first if first_owner == BUILTIN_OWNER else rule
                problems.append(Problem(mine.file, mine.line, 1, "E121",
                                        f"rule '{rule.id}' of {_plugin_name(plugin)} has the id of a built-in rule "
                                        f"({builtin.file}:{builtin.line}): add 'replaces: true' to replace it, "
                                        f"or give it another id"))
            else:
                who = f" (plugins {first_owner} and {owner})" if first_owner and owner and first_owner != owner else ""
                problems.append(Problem(rule.file, rule.line, 1, "E121",
                                        f"duplicate rule id '{rule.id}' (first in {first.file}:{first.line}){who}"))
    return [rule for _, rule in chosen.values()], overrides, problems


def _owned(problem: Problem, owner: str) -> Problem:
    """The problem, naming the plugin when it is in a plugin's file (not for the built-in packs,
    plain paths, or a test's packs)."""
    if owner in ("", BUILTIN_OWNER) or owner.startswith(("pack ", "catalog ")):
        return problem
    mark = f"(plugin '{owner}')"
    if mark in problem.message or f"plugin '{owner}'" in problem.message:
        return problem
    return attrs.evolve(problem, message=f"{problem.message} {mark}")


def _plugin_name(owner: str) -> str:
    if owner.startswith("pack "):        # a test file's packs, or diff's builtin,PACK
        return f"the pack {owner[len('pack '):]}"
    return f"plugin '{owner}'" if owner else "a rule file"


def default_paths() -> list[Path]:
    return [default_rules_dir()]


def resolve_paths(paths: Optional[Iterable[PathLike]], with_default_catalog: bool = True) -> list[Path]:
    """The paths to load: the given ones, with the default catalog unless a catalog is given."""
    if not paths:
        return default_paths()
    out = [Path(p) for p in paths]
    if with_default_catalog:
        out.insert(0, default_rules_dir() / "catalog.yaml")
    return out
