"""The hooks a devrecs plugin can implement.

A plugin is a module or object with functions marked ``@devrecs.hookimpl``
and named like the specs below. Installed distributions register plugins in
the entry-point group ``devrecs``. pluggy calls hooks with keyword
arguments only; an implementation may take fewer arguments than the spec.
The built-in rule packs, catalog, data sources and output formats are
plugins too (plugins/manager.py), registered so that an organization's plugin can
override them. See docs/plugins.md for examples of every hook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import pluggy

hookspec = pluggy.HookspecMarker("devrecs")
hookimpl = pluggy.HookimplMarker("devrecs")


@hookspec
def devrecs_rule_paths() -> Sequence[Union[str, Path]]:
    """Rule files or folders: the plugin's rule pack.

    Return paths (absolute, or relative to the current directory). Every
    plugin's paths are loaded together. A rule with the id of a built-in
    rule replaces the built-in one when it says ``replaces: true``
    (``devrecs plugins`` shows it); without it, that is error E121 naming
    both, as is the same rule id in two plugins.
    """


@hookspec
def devrecs_interventions() -> Sequence[Mapping[str, Any]]:
    """Catalog entries to add: mappings with the catalog's fields
    (id, title, description, kind, subject, audiences, and optionally seeds,
    cooldown_months, purpose; see docs/rules.md). An id another plugin or the
    built-in catalog defines too is an error naming both."""


@hookspec
def devrecs_register_sources(register: Callable[[str, Callable[..., Any]], None]) -> None:
    """Add data sources: call ``register(name, factory)`` for each. ``name``
    is what ``--source NAME`` selects; see docs/data.md for the factory's
    signature."""


@hookspec
def devrecs_enrich_person(person: Any) -> Optional[Mapping[str, Any]]:
    """Facts to add to a person before the rules run, or None.

    ``person`` is a ``devrecs.Person``. The returned mapping is merged into
    the person's ``extra``; its key ``history``, if present, is a list of
    history entries ({intervention, date, outcome}) appended to the
    person's history, so cooldowns and rules see them. Called for every
    person: keep it fast (load your data once).
    """


@hookspec
def devrecs_register_formats(register: Callable[[str, Any], None]) -> None:
    """Add output formats for ``--format``: call ``register(name, renderer)``;
    a renderer has ``render(explanation) -> str`` (devrecs.render.explanations.Renderer)."""


@hookspec
def devrecs_recommendations_made(subject: str, recommendations: Sequence[Any], audience: str) -> None:
    """A sink, told of the recommendations shown for ``subject`` (a person,
    manager or "organization") to ``audience``, e.g. to open tickets in a
    learning system. Called by the CLI's recommend and batch commands and by
    ``Engine.notify``. An exception is reported and the other sinks still run."""
