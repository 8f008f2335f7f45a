"""The intervention catalog: ids, titles, descriptions, audiences, cooldowns.

The default catalog is ``rules/catalog.yaml`` (shipped as package data);
plugins add entries. Every problem names file:line:col.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Mapping

import attrs

from .errors import Problem, RuleFileError, UnknownIdError, did_you_mean
from .model import Audience, Intervention
from .rulefile.located import LMap, LSeq

KINDS = ("career", "expertise", "learning", "skills", "relationship", "management", "reward",
         "pipeline", "organization")
SUBJECTS = ("person", "manager", "team", "organization")
PURPOSES = ("opportunity", "remedial", "support", "organizational")
AUDIENCES = tuple(a.value for a in Audience)
FIELDS = ("id", "title", "description", "kind", "subject", "audiences", "seeds", "cooldown_months", "purpose",
          "who_acts", "first_step", "timeframe", "wording", "released_to")
ACTORS = ("employee", "manager", "hr")
REQUIRED = ("id", "title", "description", "kind", "subject", "audiences")
# the audiences whose view review filters to released items (app.py): the only ones ``released_to`` may name
RELEASED_TO = ("employee",)
DEFAULT_COOLDOWN_MONTHS = 12


class Catalog:
    """Interventions by id, in the order they were defined."""

    def __init__(self, interventions: Iterable[Intervention] = ()):
        self._by_id: dict[str, Intervention] = {}
        for i in interventions:
            self._by_id[i.id] = i

    def __contains__(self, intervention_id: object) -> bool:
        return intervention_id in self._by_id

    def __iter__(self) -> Iterator[Intervention]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def ids(self) -> list[str]:
        return list(self._by_id)

    def get(self, intervention_id: str) -> Intervention:
        try:
            return self._by_id[intervention_id]
        except KeyError:
            raise UnknownIdError(f"unknown intervention '{intervention_id}'"
                                 f"{did_you_mean(intervention_id, self._by_id)}") from None

    def visible_to(self, intervention_id: str, audience: str) -> bool:
        return audience in self._by_id[intervention_id].audiences

    def once_released(self, audience: str) -> Catalog:
        """The catalog as ``audience`` sees it when only released items reach it (review on):
        each intervention with ``audience`` in ``released_to`` counts as one it may see. Use it
        only for items a reviewer released (app.py filters to them)."""
        if not any(audience in i.released_to for i in self):
            return self
        return Catalog(attrs.evolve(i, audiences=i.audiences + (audience,)) if audience in i.released_to else i
                       for i in self)


def entry_problems(entry: Any, file: str, loc: tuple[int, int]) -> list[Problem]:
    """Problems of one catalog entry (a mapping with the catalog's fields)."""
    out: list[Problem] = []

    def bad(where: tuple[int, int], code: str, msg: str) -> None:
        out.append(Problem(file, where[0], where[1], code, msg))

    if not isinstance(entry, Mapping):
        bad(loc, "E104", "a catalog entry must be a mapping")
        return out
    where: Callable[[str], tuple[int, int]] = (
        (lambda k: entry.value_loc(k)) if isinstance(entry, LMap) else (lambda k: loc))
    for key in entry:
        if key not in FIELDS:
            bad(entry.key_loc(key) if isinstance(entry, LMap) else loc, "E103",
                f"unknown key '{key}'{did_you_mean(str(key), FIELDS)}")
    for key in REQUIRED:
        if key not in entry:
            bad(loc, "E102", f"catalog entry {entry.get('id', '?')!s} has no '{key}'")
    for key, allowed in (("kind", KINDS), ("subject", SUBJECTS), ("purpose", PURPOSES)):
        if key in entry and entry[key] not in allowed:
            bad(where(key), "E112", f"'{key}' must be one of {', '.join(allowed)}, got {entry[key]!r}"
                                     f"{did_you_mean(str(entry[key]), allowed)}")
    audiences = entry.get("audiences", [])
    if not isinstance(audiences, list) or any(a not in AUDIENCES for a in audiences):
        bad(where("audiences"), "E112", f"'audiences' must be a list of {', '.join(AUDIENCES)}, got {audiences!r}")
    released_to = entry.get("released_to", [])
    if not isinstance(released_to, list) or any(a not in RELEASED_TO for a in released_to):
        bad(where("released_to"), "E112", f"'released_to' must be a list of {', '.join(RELEASED_TO)} (the "
                                          f"audiences review shows only released items), got {released_to!r}")
    elif isinstance(audiences, list) and any(a in audiences for a in released_to):
        bad(where("released_to"), "E112", f"'released_to' names {', '.join(a for a in released_to if a in audiences)}, "
                                          f"which 'audiences' already lets see it before any release")
    actors = entry.get("who_acts", [])
    if not isinstance(actors, list) or any(a not in ACTORS for a in actors):
        bad(where("who_acts"), "E112", f"'who_acts' must be a list of {', '.join(ACTORS)}, got {actors!r}")
    for key in ("first_step", "timeframe"):
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            bad(where(key), "E112", f"'{key}' must be text, got {entry[key]!r}")
    wording = entry.get("wording", {})
    if not isinstance(wording, Mapping) or any(
            a not in AUDIENCES or not isinstance(t, str) or not t.strip() for a, t in wording.items()):
        bad(where("wording"), "E112", f"'wording' must map audiences ({', '.join(AUDIENCES)}) to text")
    cooldown = entry.get("cooldown_months", DEFAULT_COOLDOWN_MONTHS)
    if isinstance(cooldown, bool) or not isinstance(cooldown, int) or cooldown < 0:
        bad(where("cooldown_months"), "E112", f"'cooldown_months' must be a whole number >= 0, got {cooldown!r}")
    return out


def intervention_from(entry: Mapping[str, Any]) -> Intervention:
    return Intervention(
        id=str(entry["id"]),
        title=" ".join(str(entry["title"]).split()),
        description=" ".join(str(entry["description"]).split()),
        kind=entry["kind"],
        subject=entry["subject"],
        audiences=tuple(entry["audiences"]),
        seeds=tuple(str(s) for s in entry.get("seeds", ()) or ()),
        cooldown_months=entry.get("cooldown_months", DEFAULT_COOLDOWN_MONTHS),
        purpose=entry.get("purpose", "opportunity"),
        who_acts=tuple(entry.get("who_acts", ()) or ()),
        first_step=" ".join(str(entry.get("first_step", "")).split()),
        timeframe=" ".join(str(entry.get("timeframe", "")).split()),
        wording=tuple((str(a), " ".join(str(t).split())) for a, t in (entry.get("wording") or {}).items()),
        released_to=tuple(entry.get("released_to", ()) or ()),
    )


def read_catalog_doc(doc: Any, file: str) -> tuple[list[tuple[Intervention, str]], list[Problem]]:
    """Entries of one loaded catalog document, each with its 'file:line', and all problems."""
    if not isinstance(doc, LMap) or not isinstance(doc.get("interventions"), LSeq):
        return [], [Problem(file, 1, 1, "E102", "a catalog file needs 'interventions:', a list of entries")]
    for key in doc:
        if key not in ("catalog", "version", "description", "interventions"):
            line, col = doc.key_loc(key)
            return [], [Problem(file, line, col, "E103", f"unknown key '{key}' in a catalog file")]
    entries, problems = [], []
    raw = doc["interventions"]
    for i, entry in enumerate(raw):
        loc = raw.item_loc(i)
        found = entry_problems(entry, file, loc)
        problems.extend(found)
        if not found:
            entries.append((intervention_from(entry), f"{file}:{loc[0]}"))
    return entries, problems


def merge_entries(sources: Iterable[tuple[str, list[tuple[Intervention, str]]]]) -> Catalog:
    """One catalog from several sources; an id defined twice is an error naming both."""
    seen: dict[str, tuple[str, str]] = {}
    problems: list[Problem] = []
    out = []
    for owner, entries in sources:
        for intervention, where in entries:
            if intervention.id in seen:
                first_owner, first_where = seen[intervention.id]
                file, _, line = where.rpartition(":")
                problems.append(Problem(file, int(line or 1), 1, "E123",
                                        f"intervention '{intervention.id}' is defined by both {first_owner} "
                                        f"({first_where}) and {owner}"))
                continue
            seen[intervention.id] = (owner, where)
            out.append(intervention)
    if problems:
        raise RuleFileError(problems)
    return Catalog(out)
