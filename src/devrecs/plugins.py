"""The plugin manager: built-ins, entry points, and what each plugin added.

Load order (style.md): the hook specs, then installed plugins from the
entry-point group ``devrecs`` (each load wrapped, so a broken plugin is
named), then plugins the caller passes, then the built-ins (rule packs and
catalog, output formats, data sources), then ``check_pending``. Plugins
named in ``DEVRECS_DISABLE_PLUGINS`` (comma-separated) or ``disabled`` are
skipped. Results never depend on pluggy's call order: callers here sort by
plugin name, built-ins first.
"""

from __future__ import annotations

import importlib.metadata
import os
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import pluggy

from . import hookspecs
from .catalog import entry_problems, intervention_from
from .errors import DevrecsError, RuleFileError
from .hookspecs import hookimpl
from .model import Intervention, Person
from .packs import BUILTIN_OWNER, default_rules_dir
from .people import person_from_dict, person_to_dict

ENTRY_POINT_GROUP = "devrecs"
DISABLE_ENV = "DEVRECS_DISABLE_PLUGINS"


class PluginError(DevrecsError):
    """A plugin failed to load, or raised in a hook whose result the engine needs."""


class BuiltinRules:
    """The default rule packs and intervention catalog (the repository's rules/)."""

    @hookimpl(trylast=True)
    def devrecs_rule_paths(self) -> list:
        return [default_rules_dir()]


class BuiltinFormats:
    """Output formats text, json and markdown."""

    @hookimpl(trylast=True)
    def devrecs_register_formats(self, register: Callable[[str, Any], None]) -> None:
        from .render import JsonRenderer, MarkdownRenderer, TextRenderer
        register("text", TextRenderer())
        register("json", JsonRenderer())
        register("markdown", MarkdownRenderer())


class BuiltinSources:
    """Data sources json, jsonl, yaml, csv and sql."""

    @hookimpl(trylast=True)
    def devrecs_register_sources(self, register: Callable[[str, Any], None]) -> None:
        from .sources import register_builtin_sources
        register_builtin_sources(register)


BUILTINS: dict[str, Any] = {BUILTIN_OWNER: BuiltinRules(), "devrecs.formats": BuiltinFormats(),
                            "devrecs.sources": BuiltinSources()}


def _disabled(extra: Optional[Iterable[str]]) -> set[str]:
    names = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
    return names | set(extra or ())


def plugin_manager(plugins: Optional[Sequence[Any]] = None, entry_points: bool = True,
                   disabled: Optional[Iterable[str]] = None) -> pluggy.PluginManager:
    """A plugin manager with the built-ins, installed plugins (unless ``entry_points=False``)
    and ``plugins`` (modules or objects; a (name, plugin) pair names one)."""
    pm = pluggy.PluginManager("devrecs")
    pm.add_hookspecs(hookspecs)
    off = _disabled(disabled)
    if entry_points:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if ep.name in off or pm.has_plugin(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                raise PluginError(f"plugin '{ep.name}' ({ep.value}) failed to import: "
                                  f"{type(exc).__name__}: {exc}") from None
            pm.register(plugin, name=ep.name)
    for item in plugins or ():
        name, plugin = item if isinstance(item, tuple) else (_name_of(item), item)
        if name not in off:
            pm.register(plugin, name=name)
    for name, plugin in BUILTINS.items():
        if name not in off:
            pm.register(plugin, name=name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin '{exc.plugin}' has a hook devrecs does not know: {exc}") from None
    return pm


def _name_of(plugin: Any) -> str:
    return getattr(plugin, "__name__", None) or type(plugin).__name__


def _order(name: str) -> tuple[int, str]:
    return (0 if name.startswith("devrecs.") else 1, name)


def call_each(pm: pluggy.PluginManager, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """(plugin name, result) for every implementation of ``hook``; a plugin that raises
    stops everything with an error naming the plugin and the hook."""
    out = []
    impls = getattr(pm.hook, hook).get_hookimpls()
    for impl in sorted(impls, key=lambda i: _order(i.plugin_name)):
        args = {k: v for k, v in kwargs.items() if k in impl.argnames}
        try:
            out.append((impl.plugin_name, impl.function(**args)))
        except Exception as exc:
            raise PluginError(f"plugin '{impl.plugin_name}' raised in {hook}: "
                              f"{type(exc).__name__}: {exc}") from None
    return out


def rule_paths(pm: pluggy.PluginManager) -> list[tuple[str, Any]]:
    return [(name, path) for name, paths in call_each(pm, "devrecs_rule_paths") for path in paths or ()]


def interventions(pm: pluggy.PluginManager) -> list[tuple[str, list[tuple[Intervention, str]]]]:
    """Catalog entries from plugins, each checked, with the plugin as owner."""
    out, problems = [], []
    for name, entries in call_each(pm, "devrecs_interventions"):
        checked = []
        for i, entry in enumerate(entries or ()):
            found = entry_problems(entry, f"plugin {name}", (i + 1, 1))
            problems.extend(found)
            if not found:
                checked.append((intervention_from(entry), f"plugin {name}:{i + 1}"))
        out.append((f"plugin {name}", checked))
    if problems:
        raise RuleFileError(problems)
    return out


def formats(pm: pluggy.PluginManager) -> dict[str, Any]:
    """Output formats by name; a plugin's format replaces a built-in one of the same name."""
    found: dict[str, Any] = {}
    call_each(pm, "devrecs_register_formats", register=lambda n, r: found.__setitem__(n, r))
    return found


def sources(pm: pluggy.PluginManager) -> dict[str, Any]:
    found: dict[str, Any] = {}
    call_each(pm, "devrecs_register_sources", register=lambda n, f: found.__setitem__(n, f))
    return found


def install_sources(pm: pluggy.PluginManager) -> None:
    """Put every plugin's data sources (built-ins included) in the sources registry."""
    from . import sources as registry
    for name, factory in sources(pm).items():
        registry.register(name, factory)


def has_enrichers(pm: pluggy.PluginManager) -> bool:
    return bool(pm.hook.devrecs_enrich_person.get_hookimpls())


def enrich(pm: pluggy.PluginManager, person: Person) -> Person:
    """The person with every plugin's facts merged into ``extra`` (and ``history`` appended)."""
    added: dict[str, Any] = {}
    history: list[Any] = []
    for name, facts in call_each(pm, "devrecs_enrich_person", person=person):
        if not facts:
            continue
        if not isinstance(facts, Mapping):
            raise PluginError(f"plugin '{name}' returned {type(facts).__name__} from devrecs_enrich_person; "
                              f"expected a mapping or None")
        facts = dict(facts)
        history.extend(facts.pop("history", None) or ())
        added.update(facts)
    if not added and not history:
        return person
    data = person_to_dict(person)
    data["extra"] = dict(data.get("extra") or {}, **added)
    data["history"] = list(data.get("history") or []) + list(history)
    data.pop("nine_box", None)
    return person_from_dict(data, record=f"person {person.id!r} (after plugins)")


def notify(pm: pluggy.PluginManager, subject: str, recommendations: Sequence[Any], audience: str,
           ) -> list[str]:
    """Tell every sink; returns one message per sink that failed (the others still run)."""
    failures = []
    for impl in sorted(pm.hook.devrecs_recommendations_made.get_hookimpls(), key=lambda i: _order(i.plugin_name)):
        kwargs = {"subject": subject, "recommendations": list(recommendations), "audience": audience}
        try:
            impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
        except Exception as exc:
            failures.append(f"plugin '{impl.plugin_name}' failed in devrecs_recommendations_made for "
                            f"{subject}: {type(exc).__name__}: {exc}")
    return failures


def describe(pm: pluggy.PluginManager, overrides: Sequence[Any] = ()) -> list[dict]:
    """What ``devrecs plugins`` shows: each plugin, its version, hooks and contributions."""
    dists = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        dists[ep.name] = (dist.name, dist.version) if dist else ("", "")
    out = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda np: _order(np[0])):
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or ())
        dist, version = dists.get(name, ("devrecs", _version()) if name.startswith("devrecs.") else ("", ""))
        entry: dict[str, Any] = {"name": name, "distribution": dist, "version": version, "hooks": hooks}
        if "devrecs_rule_paths" in hooks:
            entry["rule_paths"] = [str(p) for p in getattr(plugin, "devrecs_rule_paths")() or ()]  # noqa: B009
        if "devrecs_interventions" in hooks:
            entry["interventions"] = [e.get("id") for e in getattr(plugin, "devrecs_interventions")() or ()]  # noqa: B009
        entry["overrides"] = [{"rule": o.rule, "replaced": o.replaced} for o in overrides if o.plugin == name]
        out.append(entry)
    return out


def _version() -> str:
    try:
        return importlib.metadata.version("devrecs")
    except importlib.metadata.PackageNotFoundError:
        return ""


__all__ = ["PluginError", "call_each", "describe", "enrich", "formats", "has_enrichers", "install_sources",
           "interventions", "notify", "plugin_manager", "rule_paths", "sources"]
