"""Plugins: the pluggy manager and a small typed facade over its hooks.

What this module holds: building the plugin manager (hook specs, installed
plugins from the entry-point group ``devrecs``, plugins the caller passes, a
local plugins folder, then the built-ins, then ``check_pending``) and
:class:`Plugins`, the one way the rest of devrecs calls a hook. It imports
only the model, the catalog's entry checks and the errors; the application
layer (app.py) is its only user.

Every hook is called through ``pm.hook.<name>(...)``, so pluggy's ordering
(``tryfirst``/``trylast``), hookwrappers and tracing apply. Each
implementation is guarded when it is registered: an exception it raises
becomes one :class:`PluginError` naming the plugin and the hook, and the
results of hooks whose owner matters (rule paths, interventions, sources,
formats) are attributed to the plugin that returned them.

Plugins named in ``DEVRECS_DISABLE_PLUGINS`` (comma-separated) or
``disabled`` are skipped; a name that matches no plugin is an error with a
did-you-mean. Two plugins registering one source or format name is an error
naming both; so is a plugin's rule with a built-in rule's id unless the rule
says ``replaces: true`` (packs.py).
"""

from __future__ import annotations

import contextvars
import importlib.metadata
import importlib.util
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

import pluggy

from ..catalog import entry_problems, intervention_from
from ..errors import DevrecsError, RuleFileError, did_you_mean
from ..model import Intervention, Person, Recommendation
from . import hookspecs
from .hookspecs import hookimpl

ENTRY_POINT_GROUP = "devrecs"
DISABLE_ENV = "DEVRECS_DISABLE_PLUGINS"
PLUGINS_DIR_ENV = "DEVRECS_PLUGINS_DIR"      # a folder of plugin modules (*.py), loaded as plugins
BUILTIN_RULES = "devrecs.rules"              # the owner name of the built-in packs (packs.BUILTIN_OWNER)
BUILTIN_FORMATS = "devrecs.formats"
BUILTIN_SOURCES = "devrecs.sources"


class PluginError(DevrecsError):
    """A plugin failed to load, or one of its hooks raised or returned the wrong thing."""

    def __init__(self, message: str, plugin: str = "", hook: str = "", detail: str = ""):
        super().__init__(message)
        self.plugin, self.hook, self.detail = plugin, hook, detail


class BuiltinRules:
    """The default rule packs and intervention catalog (the repository's rules/)."""

    @hookimpl(trylast=True)
    def devrecs_rule_paths(self) -> list:
        from ..packs import default_rules_dir
        return [default_rules_dir()]


class BuiltinFormats:
    """Output formats text, json and markdown."""

    @hookimpl(trylast=True)
    def devrecs_register_formats(self, register: Callable[[str, Any], None]) -> None:
        from ..render.explanations import JsonRenderer, MarkdownRenderer, TextRenderer
        register("text", TextRenderer())
        register("json", JsonRenderer())
        register("markdown", MarkdownRenderer())


class BuiltinSources:
    """Data sources json, jsonl, yaml, csv and sql."""

    @hookimpl(trylast=True)
    def devrecs_register_sources(self, register: Callable[[str, Any], None]) -> None:
        from ..intake.sources import register_builtin_sources
        register_builtin_sources(register)


BUILTINS: dict[str, Any] = {BUILTIN_RULES: BuiltinRules(), BUILTIN_FORMATS: BuiltinFormats(),
                            BUILTIN_SOURCES: BuiltinSources()}

# the plugin whose hook implementation is running (set by the guard around every implementation)
_CALLING: contextvars.ContextVar[str] = contextvars.ContextVar("devrecs_plugin_calling", default="")
# (plugin name, result) of each implementation of the hook being called, for hooks whose owner matters
_RESULTS: contextvars.ContextVar[Optional[list]] = contextvars.ContextVar("devrecs_plugin_results", default=None)


def _guard(impl: Any, hook: str) -> None:
    """Make ``impl`` raise PluginError naming its plugin and record its result with the owner."""
    function = impl.function
    plugin = impl.plugin_name

    def guarded(*args: Any) -> Any:
        token = _CALLING.set(plugin)
        try:
            result = function(*args)
        except PluginError:
            raise
        except Exception as exc:
            detail = f"{type(exc).__name__}: {exc}"
            raise PluginError(f"plugin '{plugin}' failed in {hook}: {detail}", plugin, hook, detail) from None
        finally:
            _CALLING.reset(token)
        results = _RESULTS.get()
        if results is not None:
            results.append((plugin, result))
        return result

    guarded.__name__ = getattr(function, "__name__", hook)
    impl.function = guarded


def _disabled(extra: Optional[Iterable[str]]) -> set[str]:
    names = {n.strip() for n in os.environ.get(DISABLE_ENV, "").split(",") if n.strip()}
    return names | set(extra or ())


def _local_plugins(folder: str) -> list[tuple[str, Any]]:
    """The modules ``*.py`` of a local plugins folder, imported as plugins named by file."""
    path = Path(folder)
    if not path.is_dir():
        raise PluginError(f"{PLUGINS_DIR_ENV}={folder}: no such folder")
    found = []
    for file in sorted(path.glob("*.py")):
        name = f"local:{file.stem}"
        spec = importlib.util.spec_from_file_location(f"devrecs_local_plugin_{file.stem}", file)
        if spec is None or spec.loader is None:
            continue
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise PluginError(f"plugin '{name}' ({file}) failed to import: {type(exc).__name__}: {exc}") from None
        found.append((name, module))
    return found


class RulePaths:
    """Rule files or folders standing as a plugin of their own, so that they load beside the
    built-in packs and the plugins as a plugin's pack does (a rule with ``replaces: true``
    replaces the built-in one). Rule tests' ``packs`` and diff's ``builtin,PACK`` use it."""

    def __init__(self, paths: Iterable[str | Path]):
        self.paths = [str(p) for p in paths]

    @property
    def name(self) -> str:
        return "pack " + ", ".join(self.paths)

    @hookimpl
    def devrecs_rule_paths(self) -> list:
        return list(self.paths)


def plugin_from_path(path: str | Path) -> tuple[str, Any]:
    """A plugin under development, loaded from its path without installing it: a module
    (``myorg.py``), a package folder (with ``__init__.py``) or a project folder holding one
    package (``src/<package>/`` or ``<package>/``). Returns (name, module): the name of the
    installed entry point of that package when there is one (the copy at ``path`` then stands
    in for the installed one), else the module's name."""
    given = Path(path)
    target = _plugin_module_path(given)
    if target.name == "__init__.py":
        target = target.parent
    module_name = target.stem if target.suffix == ".py" else target.name
    name = _declared_name(given, module_name) or module_name
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.value.split(":")[0].split(".")[0] == module_name:
            name = ep.name
    private = f"devrecs_dev_plugin_{module_name}"
    if target.suffix == ".py":
        spec = importlib.util.spec_from_file_location(private, target)
    else:
        spec = importlib.util.spec_from_file_location(private, target / "__init__.py",
                                                      submodule_search_locations=[str(target)])
    if spec is None or spec.loader is None:
        raise PluginError(f"--plugin {path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    import sys
    sys.modules[private] = module          # so that the package's relative imports work
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(private, None)
        raise PluginError(f"plugin '{name}' ({path}) failed to import: {type(exc).__name__}: {exc}") from None
    return name, module


def _declared_name(given: Path, module_name: str) -> str:
    """The entry-point name a project's pyproject.toml gives the module, under
    ``[project.entry-points.devrecs]`` (``myorg = "devrecs_myorg"``), if any."""
    for folder in (given, *given.parents[:3]) if given.is_dir() else given.parents[:3]:
        project = folder / "pyproject.toml"
        if not project.is_file():
            continue
        section = ""
        for line in project.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("["):
                section = line.strip("[] ").replace('"', "").replace("'", "")
                continue
            if section == f"project.entry-points.{ENTRY_POINT_GROUP}" and "=" in line:
                key, _, value = line.partition("=")
                if value.strip().strip("'\"").split(":")[0].split(".")[0] == module_name:
                    return key.strip().strip("'\"")
        return ""
    return ""


def is_plugin_path(path: str | Path) -> bool:
    """Whether ``path`` looks like a plugin (a .py module, a package folder, or a project
    folder with a pyproject.toml) rather than rule files."""
    p = Path(path)
    return (p.is_file() and p.suffix == ".py") or (p.is_dir() and (
        (p / "__init__.py").is_file() or (p / "pyproject.toml").is_file()))


def _plugin_module_path(given: Path) -> Path:
    if given.is_file() and given.suffix == ".py":
        return given
    if given.is_dir() and (given / "__init__.py").is_file():
        return given
    if given.is_dir():
        found = [p.parent for base in (given / "src", given) if base.is_dir()
                 for p in sorted(base.glob("*/__init__.py")) if p.parent.name not in ("tests", "test")]
        if len(found) == 1:
            return found[0]
        if found:
            raise PluginError(f"--plugin {given}: holds several packages ({', '.join(p.name for p in found)}); "
                              f"name the plugin's package folder")
    raise PluginError(f"--plugin {given}: expected a plugin module (.py), a package folder (with "
                      f"__init__.py) or a project folder with one package under src/")


def plugin_manager(plugins: Optional[Sequence[Any]] = None, entry_points: bool = True,
                   disabled: Optional[Iterable[str]] = None,
                   plugins_dir: Optional[str] = None) -> pluggy.PluginManager:
    """A plugin manager with installed plugins (unless ``entry_points=False``), the modules of
    ``plugins_dir`` (default: $DEVRECS_PLUGINS_DIR), ``plugins`` (modules or objects; a
    (name, plugin) pair names one) and the built-ins."""
    pm = pluggy.PluginManager("devrecs")
    pm.add_hookspecs(hookspecs)
    off = _disabled(disabled)
    candidates: list[tuple[str, Callable[[], Any]]] = []
    installed = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name)
    given = [item if isinstance(item, tuple) else (_name_of(item), item) for item in plugins or ()]
    if entry_points:
        # a plugin passed by name stands in for the installed one of that name (a copy under development)
        candidates.extend((ep.name, _loader(ep)) for ep in installed if ep.name not in {n for n, _ in given})
    folder = plugins_dir if plugins_dir is not None else os.environ.get(PLUGINS_DIR_ENV)
    if folder:
        candidates.extend((name, _given(module)) for name, module in _local_plugins(folder))
    for name, plugin in given:
        candidates.append((name, _given(plugin)))
    candidates.extend((name, _given(plugin)) for name, plugin in BUILTINS.items())
    known = list(dict.fromkeys([ep.name for ep in installed] + [name for name, _ in candidates]))
    unknown = sorted(n for n in off if n not in known)
    if unknown:
        raise PluginError("; ".join(f"{DISABLE_ENV} names '{n}', which is no plugin{did_you_mean(n, known)}"
                                    for n in unknown) + f" (plugins: {', '.join(known)})")
    for name, load in candidates:
        if name in off or pm.has_plugin(name):
            continue
        plugin = load()
        try:
            pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin '{name}': {_validation(exc)}") from None
        except ValueError as exc:      # the same object registered under two names
            raise PluginError(f"plugin '{name}': {exc}") from None
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin '{pm.get_name(exc.plugin) or exc.plugin}' has a hook devrecs does not know: "
                          f"{_validation(exc)}") from None
    for caller in pm.hook.__dict__.values():
        if isinstance(caller, pluggy.HookCaller):
            for impl in caller.get_hookimpls():
                if not (impl.hookwrapper or impl.wrapper):
                    _guard(impl, caller.name)
    return pm


def _validation(exc: pluggy.PluginValidationError) -> str:
    """pluggy's message in one line, with the hint a plugin author needs."""
    text = " ".join(str(exc).split())
    if "argument" in text:
        text += " (a hook implementation may take only arguments its spec names; see docs/plugins.md)"
    return text


def _given(plugin: Any) -> Callable[[], Any]:
    """A loader of a plugin already in hand."""
    return lambda: plugin


def _loader(ep: Any) -> Callable[[], Any]:
    def load() -> Any:
        try:
            return ep.load()
        except Exception as exc:
            raise PluginError(f"plugin '{ep.name}' ({ep.value}) failed to import: "
                              f"{type(exc).__name__}: {exc}") from None
    return load


def _name_of(plugin: Any) -> str:
    return getattr(plugin, "__name__", None) or type(plugin).__name__


def _order(name: str) -> tuple[int, str]:
    return (0 if name.startswith("devrecs.") else 1, name)


def _register_into(hook: str, kind: str, found: dict[str, tuple[str, Any]]) -> Callable[[str, Any], None]:
    """A ``register(name, thing)`` for hooks that add named things; a name taken twice is an error."""
    def register(name: str, thing: Any) -> None:
        owner = _CALLING.get() or "?"
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin '{owner}' registered a {kind} with the name {name!r} in {hook}; "
                              f"expected a non-empty string")
        if name in found and found[name][0] != owner:
            first, second = sorted((found[name][0], owner))
            raise PluginError(f"the {kind} '{name}' is registered twice: by plugin '{first}' and by "
                              f"plugin '{second}'; disable one ({DISABLE_ENV}) or rename it")
        found[name] = (owner, thing)
    return register


class Plugins:
    """The hooks of one plugin manager, typed. Registries are built here, per manager."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self._sources: Optional[dict[str, tuple[str, Any]]] = None
        self._formats: Optional[dict[str, tuple[str, Any]]] = None
        self.enriches = bool(pm.hook.devrecs_enrich_person.get_hookimpls())

    @classmethod
    def load(cls, plugins: Optional[Sequence[Any]] = None, entry_points: bool = True,
             disabled: Optional[Iterable[str]] = None, plugins_dir: Optional[str] = None) -> Plugins:
        return cls(plugin_manager(plugins, entry_points, disabled, plugins_dir))

    def _owned(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin, result) of every implementation of ``hook``, called through pm.hook."""
        token = _RESULTS.set([])
        try:
            getattr(self.pm.hook, hook)(**kwargs)
            # results in a fixed order, whatever the order of registration: built-ins, then by name
            return sorted(_RESULTS.get() or (), key=lambda owned: _order(owned[0]))
        finally:
            _RESULTS.reset(token)

    def rule_paths(self) -> list[tuple[str, Any]]:
        """(plugin, path) of every rule pack, the built-in packs included."""
        out = []
        for name, paths in self._owned("devrecs_rule_paths"):
            if paths is None:
                continue
            if isinstance(paths, (str, Path)) or not isinstance(paths, Iterable):
                raise PluginError(f"plugin '{name}' returned {type(paths).__name__} from devrecs_rule_paths; "
                                  f"expected a list of paths (e.g. [Path(__file__).parent / 'rules'])")
            for path in paths:
                if not isinstance(path, (str, Path)):
                    raise PluginError(f"plugin '{name}' returned a {type(path).__name__} among its rule paths; "
                                      f"expected str or pathlib.Path")
                out.append((name, path))
        return out

    def interventions(self) -> list[tuple[str, list[tuple[Intervention, str]]]]:
        """Catalog entries from plugins, each checked, with the plugin as owner."""
        out, problems = [], []
        for name, entries in self._owned("devrecs_interventions"):
            if entries is None:
                continue
            if isinstance(entries, (str, Mapping)) or not isinstance(entries, Iterable):
                raise PluginError(f"plugin '{name}' returned {type(entries).__name__} from devrecs_interventions; "
                                  f"expected a list of catalog entries (mappings)")
            checked = []
            for i, entry in enumerate(entries):
                found = entry_problems(entry, f"plugin {name}", (i + 1, 1))
                problems.extend(found)
                if not found:
                    checked.append((intervention_from(entry), f"plugin {name}:{i + 1}"))
            out.append((f"plugin {name}", checked))
        if problems:
            raise RuleFileError(problems)
        return out

    def _named(self, hook: str, kind: str) -> dict[str, tuple[str, Any]]:
        found: dict[str, tuple[str, Any]] = {}
        getattr(self.pm.hook, hook)(register=_register_into(hook, kind, found))
        return found

    def sources(self) -> dict[str, Any]:
        """Data source factories by name (built-ins and every plugin's), made once per manager."""
        if self._sources is None:
            self._sources = self._named("devrecs_register_sources", "data source")
        return {name: factory for name, (_, factory) in self._sources.items()}

    def formats(self) -> dict[str, Any]:
        """Output formats by name; each renderer is checked to have ``render``."""
        if self._formats is None:
            found = self._named("devrecs_register_formats", "format")
            for name, (owner, renderer) in found.items():
                if not callable(getattr(renderer, "render", None)):
                    raise PluginError(f"plugin '{owner}' registered the format '{name}' with a "
                                      f"{type(renderer).__name__} that has no render(explanation) method")
            self._formats = found
        return {name: renderer for name, (_, renderer) in self._formats.items()}

    def format_owner(self, name: str) -> str:
        self.formats()
        return self._formats[name][0] if self._formats and name in self._formats else ""

    def enrich_each(self, person: Person) -> list[tuple[str, Any]]:
        """(plugin, what it returned) for every plugin's devrecs_enrich_person."""
        return self._owned("devrecs_enrich_person", person=person)

    def enrich(self, person: Person) -> tuple[dict[str, Any], list[Any]]:
        """Facts the plugins add to ``person`` (for ``extra``) and history entries to append."""
        added: dict[str, Any] = {}
        history: list[Any] = []
        for name, facts in self._owned("devrecs_enrich_person", person=person):
            if not facts:
                continue
            if not isinstance(facts, Mapping):
                raise PluginError(f"plugin '{name}' returned {type(facts).__name__} from devrecs_enrich_person; "
                                  f"expected a mapping or None")
            facts = dict(facts)
            entries = facts.pop("history", None) or ()
            if isinstance(entries, (str, Mapping)) or not isinstance(entries, Iterable):
                raise PluginError(f"plugin '{name}' returned a {type(entries).__name__} as 'history' from "
                                  f"devrecs_enrich_person; expected a list of history entries")
            history.extend(entries)
            added.update(facts)
        return added, history

    def notify(self, subject: str, recommendations: Sequence[Recommendation], audience: str) -> list[str]:
        """Tell every sink; returns one message per sink that failed (the others still run)."""
        failures = []
        callers = self.pm.hook.devrecs_recommendations_made.get_hookimpls()
        for impl in callers:
            if impl.hookwrapper or impl.wrapper:
                continue
            # each sink on its own (through pluggy's subset caller), so one failing sink stops no other
            others = [p for p in self.pm.get_plugins() if p is not impl.plugin]
            caller = self.pm.subset_hook_caller("devrecs_recommendations_made", remove_plugins=others)
            try:
                caller(subject=subject, recommendations=list(recommendations), audience=audience)
            except PluginError as exc:
                failures.append(f"plugin '{exc.plugin}' failed in {exc.hook} for {subject}: {exc.detail}"
                                if exc.hook else f"{exc} (for {subject})")
        return failures

    @property
    def has_sinks(self) -> bool:
        return bool(self.pm.hook.devrecs_recommendations_made.get_hookimpls())

    def describe(self, overrides: Sequence[Any] = ()) -> list[dict]:
        """What ``devrecs plugins`` shows: each plugin, its version, hooks and contributions."""
        dists = {}
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(ep, "dist", None)
            dists[ep.name] = (dist.name, dist.version) if dist else ("", "")
        paths: dict[str, list[str]] = {}
        for name, path in self.rule_paths():
            paths.setdefault(name, []).append(str(path))
        interventions = {owner[len("plugin "):]: [i.id for i, _ in entries] for owner, entries in self.interventions()}
        out = []
        for name, plugin in sorted(self.pm.list_name_plugin(), key=lambda np: _order(np[0])):
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or ())
            dist, version = dists.get(name, ("devrecs", _version()) if name.startswith("devrecs.") else ("", ""))
            entry: dict[str, Any] = {"name": name, "distribution": dist, "version": version, "hooks": hooks}
            if "devrecs_rule_paths" in hooks:
                entry["rule_paths"] = paths.get(name, [])
            if "devrecs_interventions" in hooks:
                entry["interventions"] = interventions.get(name, [])
            entry["overrides"] = [{"rule": o.rule, "replaced": o.replaced} for o in overrides if o.plugin == name]
            out.append(entry)
        return out


def _version() -> str:
    try:
        return importlib.metadata.version("devrecs")
    except importlib.metadata.PackageNotFoundError:
        return ""


__all__ = ["BUILTINS", "PluginError", "Plugins", "RulePaths", "is_plugin_path", "plugin_from_path", "plugin_manager"]
