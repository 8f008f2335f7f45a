"""The Engine: load rule packs, compile them once to durable-rules, recommend.

Only this module talks to durable-rules. It drives durable's C engine
(``durable_rules_engine``) directly rather than through durable's Python
``Host``: that layer starts timer threads, decodes every matched fact from
JSON and builds a closure per action, which cost several times the matching
itself (benchmarks/results.md). durable's quirks are handled here once:
- a fact no rule matches is refused, and a later ``delete_state`` can crash
  the process: a catch-all rule (``seen``) matches every person;
- durable hands each action the matched facts as the JSON text they were
  posted in; the engine reads only the ``pid`` of each (every fact starts
  with it), never decodes the rest;
- an exception while the engine handles an action abandons the action, deletes
  the session and reaches the caller;
- durable is given the rules without their ``run`` keys (action names stay
  with the engine), so ``engine.compiled`` stays exactly what was compiled;
- each session's state is deleted after its people, so memory does not
  grow with the number of people;
- a ruleset name registers once per process: each Engine has its own;
- durable's state is process-wide: sessions of all engines take turns (one lock).

People are posted in chunks (``chunk_size``) per session, each rule with
``cap`` so one action receives many matches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import re
import threading
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Optional, Sequence, Union, cast

import attrs

from . import org, plugins as plugin_hooks
from .catalog import Catalog
from .durable_engine import durable_rules_engine
from .errors import DevrecsError, Problem, RuleFileError
from .facts import PROTECTED_ATTRIBUTES, SCOPES, SCOPE_MARKS, fact_value, normal_key, values_reader
from .model import Evidence, Person, Recommendation, Rule
from .packs import PathLike, load_packs, resolve_paths
from .people import person_from_dict
from .resolve import DEFAULT_CAP, Resolution, resolve
from .rulefile.compile import compile_rules, fact_builder
from .rulefile.conditions import All, Always, AnyOf, Compare, Not, holds, leaf_holds, leaves

if TYPE_CHECKING:
    from .explain import Explanation

PersonLike = Union[Person, Mapping[str, Any]]

# People per durable session. Larger chunks mean fewer action calls; past a
# few hundred the gain is flat (benchmarks/results.md).
DEFAULT_CHUNK_SIZE = 256

# Evidence tuples kept per engine for reuse (people often share a rule's values); past this
# many, new ones are made each time.
EVIDENCE_CACHE_SIZE = 10_000

_engine_ids = itertools.count(1)

# durable-rules keeps process-wide state in C and calls back into Python between its
# C calls, so every session of every Engine in the process runs under this one lock.
_DURABLE_LOCK = threading.Lock()


# Each posted fact's JSON text starts with its pid; durable passes matched facts on as
# that text (inside '{"m":...}'), so the pids of an action's matches are read from it.
_MATCHED_PID = re.compile(r'\{"m":\{"pid":(\d+)')
# assert_facts answers (code, state handle); durable's own wrapper reads code 1 as "no rule
# takes the fact", 2 as "seen before" and 3 as "no state to act on": none of them can happen
# here (a catch-all rule, distinct pids, a fresh session), and each would lose matches.
_ASSERTED = 0
_COMPACT = (",", ":")     # JSON without spaces: less for durable to read and to copy into each match


def _refuse_protected(rules: Sequence[Rule]) -> None:
    """No rule may test a protected attribute, however it was built (parse.py refuses it in files)."""
    problems = [Problem(rule.file or "<rules>", leaf.loc[0] or rule.line, leaf.loc[1] or 1, "E140",
                        f"rule '{rule.id}' tests '{leaf.path}', a protected attribute: it may be audited "
                        f"but no rule may test it")
                for rule in rules for leaf in leaves(rule.when)
                if leaf.path.startswith("extra.") and normal_key(leaf.path[len("extra."):]) in PROTECTED_ATTRIBUTES]
    if problems:
        raise RuleFileError(problems)


def _leaf_tests(node: Any, positive: bool = True, certain: bool = True) -> list[tuple[Any, str, bool, bool]]:
    """(leaf, readable test, polarity, holds-whenever-the-rule-fires) for each leaf, in order."""
    if isinstance(node, All):
        return [t for n in node.items for t in _leaf_tests(n, positive, certain and positive)]
    if isinstance(node, AnyOf):
        return [t for n in node.items for t in _leaf_tests(n, positive, certain and not positive)]
    if isinstance(node, Not):
        return _leaf_tests(node.item, not positive, certain)
    if isinstance(node, Always):
        return []
    text = node.describe() if positive else f"not: {node.describe()}"
    return [(node, text, positive, certain)]


@attrs.frozen
class OrganizationResult:
    """What ``recommend_organization`` found, at each level."""

    people: list[tuple[Person, list[Recommendation]]]   # in input order
    teams: dict[str, list[Recommendation]]              # manager id -> (subject: that manager)
    organization: list[Recommendation]                  # (subject: "organization")
    team_facts: dict[str, dict[str, Any]]               # manager id -> team facts
    organization_facts: dict[str, Any]


@attrs.frozen
class Evaluation:
    """Everything the engine decided for one person (explanations read it)."""

    person: Person
    fired: tuple[Rule, ...]
    resolution: Resolution
    as_of: dt.date

    @property
    def recommendations(self) -> list[Recommendation]:
        return list(self.resolution.recommendations)


class Engine:
    """Rules compiled once; safe to share between threads.

    ``cap`` limits the items a person gets for themself (None keeps all);
    ``as_of`` fixes the date that history and cooldowns are measured from
    (default: today, at each call).
    """

    def __init__(self, rules: Sequence[Rule], catalog: Catalog, *, cap: Optional[int] = DEFAULT_CAP,
                 as_of: Optional[dt.date] = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
                 plugin_manager: Any = None, overrides: Sequence[Any] = ()):
        self.plugins = plugin_manager          # pluggy manager (None: no plugins)
        self.overrides = tuple(overrides)      # plugin rules that replaced built-in ones
        self._enrich = plugin_manager is not None and plugin_hooks.has_enrichers(plugin_manager)
        self.rules: tuple[Rule, ...] = tuple(rules)
        _refuse_protected(self.rules)
        self.catalog = catalog
        self.cap = cap
        self.as_of = as_of
        self.chunk_size = max(1, int(chunk_size))
        self.ruleset_name = f"devrecs_{next(_engine_ids)}"
        compiled: dict[str, Any] = {}
        self._actions_by_rule: dict[int, str] = {}
        self._builders = {}
        self._rulesets = {}
        for scope, facts in SCOPES.items():
            indexes = [i for i, r in enumerate(self.rules) if r.scope == scope]
            if scope != "person" and not indexes:
                continue
            name = self.ruleset_name if scope == "person" else f"{self.ruleset_name}_{scope}"
            prefix = {"person": "r", "team": "t", "organization": "o"}[scope]
            body, layout, names = compile_rules(name, [self.rules[i] for i in indexes], facts,
                                                cap=self.chunk_size, mark=SCOPE_MARKS[scope], prefix=prefix)
            compiled.update(body)
            self._rulesets[scope] = name
            self._builders[scope] = fact_builder(layout, facts)
            for action_name, index in zip(names, indexes):
                self._actions_by_rule[index] = action_name
        # durable names the rule (not the action) that matched: rule key -> rule index, None for "seen"
        by_action = {action: index for index, action in self._actions_by_rule.items()}
        self._rule_of = {key: by_action.get(rule["run"]) for body in compiled.values() for key, rule in body.items()}
        # per rule, each leaf with its readable test (negated leaves say so), worked out once;
        # a leaf reached only through "all" holds whenever its rule fired
        self._leaf_tests = {rule.id: _leaf_tests(rule.when) for rule in self.rules}
        # for evidence: each rule's leaves, their paths, and how its Evidence may be reused across
        # people (None: a list value, never; "typed": an extra.* value, which comes in several kinds)
        self._evidence_plans = {rule.id: (tests, [t[0].path for t in tests], _reuse(tests))
                                for rule, tests in ((r, self._leaf_tests[r.id]) for r in self.rules)}
        paths = dict.fromkeys(leaf.path for r in self.rules if r.scope == "person" for leaf in leaves(r.when))
        self._read_values = values_reader(paths)
        self._evidence_cache: dict[tuple[Any, ...], tuple[Evidence, ...]] = {}
        self._sessions = itertools.count(1)
        with _DURABLE_LOCK:
            compiled = self._register(compiled)
        self._compiled_text = json.dumps(compiled, sort_keys=True)
        self.ruleset_hash = self._hash()
        # what from_paths/default were given, for reload(); None for rules built in memory
        self.paths: Optional[list[PathLike]] = None
        self._reload_args: Optional[dict[str, Any]] = None

    # -- construction -----------------------------------------------------------

    @classmethod
    def default(cls, *, plugins: Optional[Sequence[Any]] = None, entry_points: bool = True,
                disabled: Optional[Iterable[str]] = None, **kwargs: Any) -> Engine:
        """The built-in rule packs and catalog, with installed plugins (entry-point group
        ``devrecs``, unless ``entry_points=False``) and the ``plugins`` given."""
        pm = plugin_hooks.plugin_manager(plugins, entry_points, disabled)
        packs = load_packs(plugin_hooks.rule_paths(pm), plugin_hooks.interventions(pm))
        engine = cls(packs.rules, packs.catalog, plugin_manager=pm, overrides=packs.overrides, **kwargs)
        engine._reload_args = dict(paths=None, plugins=plugins, entry_points=entry_points, disabled=disabled,
                                   **kwargs)
        return engine

    @classmethod
    def from_paths(cls, paths: Optional[Iterable[PathLike]], *, default_catalog: bool = True,
                   plugins: Optional[Sequence[Any]] = None, entry_points: bool = True,
                   disabled: Optional[Iterable[str]] = None, **kwargs: Any) -> Engine:
        """Rule files and folders (None: the built-in packs and plugins' packs). The default
        catalog and plugins' interventions are included (the default catalog unless
        ``default_catalog=False``); catalog files among ``paths`` add to them."""
        if not paths:
            return cls.default(plugins=plugins, entry_points=entry_points, disabled=disabled, **kwargs)
        pm = plugin_hooks.plugin_manager(plugins, entry_points, disabled)
        paths = list(paths)
        packs = load_packs(resolve_paths(paths, default_catalog), plugin_hooks.interventions(pm))
        engine = cls(packs.rules, packs.catalog, plugin_manager=pm, **kwargs)
        engine.paths = paths
        engine._reload_args = dict(paths=paths, default_catalog=default_catalog, plugins=plugins,
                                   entry_points=entry_points, disabled=disabled, **kwargs)
        return engine

    def reload(self) -> Engine:
        """A new Engine built again from the same paths and options (the files as they are now).

        This engine is not changed: requests running on it finish with its rules, and every
        recommendation carries the ``ruleset_hash`` of the engine that made it. A rule-file
        problem raises RuleFileError and leaves this engine usable."""
        if self._reload_args is None:
            raise DevrecsError("this engine was built from rules in memory, not with Engine.from_paths "
                               "or Engine.default: build a new Engine instead")
        return type(self).from_paths(**self._reload_args)

    def _person(self, raw: PersonLike) -> Person:
        """A validated person, with plugins' facts added."""
        person = person_from_dict(raw)
        return plugin_hooks.enrich(self.plugins, person) if self._enrich else person

    def notify(self, subject: str, recommendations: Sequence[Recommendation], audience: str) -> list[str]:
        """Tell the plugins' sinks; returns one message per failing sink (the rest still run)."""
        if self.plugins is None:
            return []
        return plugin_hooks.notify(self.plugins, subject, recommendations, audience)

    def _too_complex(self, compiled: dict[str, Any]) -> list[Problem]:
        """Find the rules durable refuses, by compiling each on its own."""
        problems = []
        for i, rule in enumerate(self.rules):
            action = self._actions_by_rule[i]
            mine = {k: _without_run(v) for body in compiled.values() for k, v in body.items() if v["run"] == action}
            try:
                durable_rules_engine.create_ruleset(f"{self.ruleset_name}_probe{i}", json.dumps(mine))
            except Exception:
                problems.append(Problem(rule.file or "<rules>", rule.line, 1, "E130",
                                        f"rule '{rule.id}' is too complex for the matching engine "
                                        f"(durable-rules allows about 30 tests in one nested "
                                        f"expression): split it into several rules"))
        return problems

    def _register(self, compiled: dict[str, Any]) -> dict[str, Any]:
        """Give the compiled rulesets to durable; returns them under the names they got.

        A rule durable refuses is named (E130). durable has also been seen to refuse, now and
        then, a ruleset it takes under another name: then the same rules are tried under fresh
        names, twice at most."""
        last: Optional[BaseException] = None
        for _ in range(3):
            try:
                self._handles = {name: durable_rules_engine.create_ruleset(
                    name, json.dumps({k: _without_run(v) for k, v in body.items()}))
                    for name, body in compiled.items()}
            except Exception as exc:
                problems = self._too_complex(compiled)
                if problems:
                    raise RuleFileError(problems) from exc
                last = exc
                fresh = f"devrecs_{next(_engine_ids)}"
                rename = {old: fresh + old[len(self.ruleset_name):] for old in compiled}
                compiled = {rename[k]: v for k, v in compiled.items()}
                self._rulesets = {scope: rename[n] for scope, n in self._rulesets.items()}
                self.ruleset_name = fresh
                continue
            return compiled
        raise RuleFileError([Problem("<rules>", 0, 0, "E130", f"durable-rules refused the compiled rules: {last}")])

    # -- what was compiled ------------------------------------------------------

    @property
    def compiled(self) -> dict[str, Any]:
        """The durable-rules JSON exactly as posted to durable (with ``run`` keys)."""
        return json.loads(self._compiled_text)

    def _hash(self) -> str:
        compiled = json.loads(self._compiled_text)   # hashed without the per-engine names
        h = hashlib.sha256(json.dumps([compiled[n] for n in self._rulesets.values()], sort_keys=True).encode())
        for rule in self.rules:
            h.update(json.dumps([rule.id, rule.priority, [attrs.astuple(t) for t in rule.recommend],
                                 list(rule.suppresses), rule.rationale, rule.source]).encode())
        for i in self.catalog:
            h.update(json.dumps([i.id, i.title, list(i.audiences), i.cooldown_months]).encode())
        return h.hexdigest()[:16]

    # -- durable actions ----------------------------------------------------------

    def _on_match(self, index: int, pids: Sequence[str], matches: list[set[int]]) -> None:
        """Rule ``index`` matched the people ``pids`` (as text) of this session."""
        for pid in pids:
            matches[int(pid)].add(index)

    # -- matching -----------------------------------------------------------------

    def _values(self, person: Person, as_of: dt.date) -> dict[str, Any]:
        """The person's value at every path the person rules read (posted, then evidence)."""
        return self._read_values(person, as_of)

    def _match(self, values: Sequence[Mapping[str, Any]]) -> list[set[int]]:
        """For each person (their ``_values``), the indexes of the rules whose conditions hold (via durable)."""
        return self._match_facts("person", [v.get for v in values])

    def _match_facts(self, scope: str, getters: Sequence[Any]) -> list[set[int]]:
        """For each subject (a fact getter), the indexes of the rules of ``scope`` that hold."""
        if scope not in self._rulesets:
            return [set() for _ in getters]
        if not getters:     # durable crashes the process on an empty session (a population without teams)
            return []
        build, mark = self._builders[scope], SCOPE_MARKS[scope]
        facts = [build(get, pid, mark) for pid, get in enumerate(getters)]
        handle = self._handles[self._rulesets[scope]]
        matches: list[set[int]] = [set() for _ in facts]
        with _DURABLE_LOCK:
            sid = str(next(self._sessions))
            for f in facts:
                f["sid"] = sid
            code, state = durable_rules_engine.assert_facts(handle, json.dumps(facts, separators=_COMPACT))
            try:
                if code != _ASSERTED:
                    raise DevrecsError(f"durable-rules did not take the facts of a session (code {code})")
                started = durable_rules_engine.start_action_for_state(handle, state)
                message = started[1] if started else None
                while message:
                    try:
                        index = self._rule_of[message[2:message.index('"', 2)]]
                        if index is not None:
                            self._on_match(index, _MATCHED_PID.findall(message), matches)
                    except BaseException:
                        durable_rules_engine.abandon_action(handle, state)
                        raise
                    message = durable_rules_engine.complete_and_start_action(handle, state)
            finally:
                durable_rules_engine.delete_state(handle, sid)
        return matches

    def _as_of(self, as_of: Optional[dt.date]) -> dt.date:
        return as_of or self.as_of or dt.date.today()

    def _evaluate(self, person: Person, fired_indexes: set[int], as_of: dt.date,
                  get: Any, cap: Any = "engine", scope: str = "person") -> Evaluation:
        """Resolve what fired. ``get(path)`` gives the fact values the rules read."""
        fired = tuple(map(self.rules.__getitem__, sorted(fired_indexes)))
        reuse = scope == "person"     # team and organization values come in no fixed kind
        cache = self._evidence_cache

        def evidence(rule: Rule) -> tuple[Evidence, ...]:
            tests, paths, how = self._evidence_plans[rule.id]
            actual = list(map(get, paths))
            key = None
            if reuse and how is not None:   # Evidence is immutable and depends only on these values
                key = (rule.id, *actual, *map(type, actual)) if how == "typed" else (rule.id, *actual)
                try:
                    made = cache.get(key)
                except TypeError:           # a list after all (e.g. "gaps exists"): not reused
                    made = key = None
                if made is not None:
                    return made
            made = tuple(Evidence(rule.id, leaf.path, test, value,
                                  True if certain else leaf_holds(leaf, get) == positive)
                         for (leaf, test, positive, certain), value in zip(tests, actual))
            if key is not None and len(cache) < EVIDENCE_CACHE_SIZE:
                cache[key] = made
            return made

        resolution = resolve(person, fired, self.catalog, evidence=evidence, as_of=as_of,
                             cap=self.cap if cap == "engine" else cap, ruleset_hash=self.ruleset_hash)
        return Evaluation(person, fired, resolution, as_of)

    # -- public API -------------------------------------------------------------

    def evaluate(self, person: PersonLike, as_of: Optional[dt.date] = None,
                 prepared: bool = False) -> Evaluation:
        """Match, resolve and keep the trace (fired rules, removed candidates).
        ``prepared``: the person is a Person already enriched by plugins."""
        p = cast(Person, person) if prepared else self._person(person)
        day = self._as_of(as_of)
        values = self._values(p, day)
        return self._evaluate(p, self._match([values])[0], day, values.get)

    def recommend(self, person: PersonLike, as_of: Optional[dt.date] = None) -> list[Recommendation]:
        """The recommendations for one person (a Person or a mapping of facts)."""
        return self.evaluate(person, as_of).recommendations

    def recommend_many(self, people: Iterable[PersonLike], as_of: Optional[dt.date] = None,
                       ) -> Iterator[tuple[Person, list[Recommendation]]]:
        """Yield (person, recommendations) in input order, ``chunk_size`` people per
        durable session; memory does not grow with the number of people."""
        day = self._as_of(as_of)
        it = iter(people)
        while True:
            chunk = [self._person(p) for p in itertools.islice(it, self.chunk_size)]
            if not chunk:
                return
            values = [self._values(p, day) for p in chunk]
            for person, v, fired in zip(chunk, values, self._match(values)):
                yield person, self._evaluate(person, fired, day, v.get).recommendations

    def explain(self, person: PersonLike, intervention: Optional[str] = None, audience: str = "hr",
                as_of: Optional[dt.date] = None) -> Explanation:
        """Why (or why not) this person gets ``intervention`` (default: each item they get),
        as ``audience`` may see it. See explain.py."""
        from .explain import explain
        return explain(self, person, intervention, audience, as_of)

    def recommend_for(self, person: PersonLike, audience: str, as_of: Optional[dt.date] = None,
                      ) -> list[Recommendation]:
        """The recommendations as ``audience`` may see them (audience.py): computed from the
        facts it may see, without interventions it may not see, hidden facts withheld."""
        from .audience import check_audience, masked, redact
        check_audience(audience)
        view = masked(self._person(person), audience)
        out = (redact(r, audience, self.catalog) for r in self.evaluate(view, as_of, prepared=True).recommendations)
        return [r for r in out if r is not None]

    def recommend_organization(self, people: Iterable[PersonLike], as_of: Optional[dt.date] = None,
                               open_leadership_positions: int = 0) -> OrganizationResult:
        """Person, team (to each manager) and organization recommendations for a population.

        Team and organization facts are computed from the people (org.py);
        ``open_leadership_positions`` is the one organization fact people cannot tell.
        """
        day = self._as_of(as_of)
        collected = org.OrgFacts(day, open_leadership_positions)

        def counted() -> Iterator[PersonLike]:
            for p in people:
                person = self._person(p)
                collected.add(person)
                yield person

        person_results = list(self.recommend_many(counted(), day))
        team_facts = collected.team_facts()
        teams = self._group("team", team_facts, day)
        org_facts = collected.organization_facts()
        (organization,) = self._group("organization", {"organization": org_facts}, day).values() or [[]]
        return OrganizationResult(person_results, teams, list(organization), team_facts, org_facts)

    def _group(self, scope: str, subjects: dict[str, dict[str, Any]], day: dt.date) -> dict[str, list[Recommendation]]:
        ids = list(subjects)
        fired = self._match_facts(scope, [subjects[i].get for i in ids])
        return {i: self._evaluate(Person(id=i), f, day, subjects[i].get, cap=None, scope=scope).recommendations
                for i, f in zip(ids, fired)}

    def python_fired(self, person: PersonLike, as_of: Optional[dt.date] = None) -> list[str]:
        """Ids of the rules whose conditions hold, by the Python evaluator (no durable)."""
        p = self._person(person)
        day = self._as_of(as_of)
        get = lambda path: fact_value(p, path, day)  # noqa: E731
        return [r.id for r in self.rules if r.scope == "person" and holds(r.when, get)]

    def durable_fired(self, people: Sequence[PersonLike], as_of: Optional[dt.date] = None) -> list[list[str]]:
        """Ids of the rules durable matched, per person, all in one session."""
        ps = [self._person(p) for p in people]
        day = self._as_of(as_of)
        return [[self.rules[i].id for i in sorted(m)] for m in self._match([self._values(p, day) for p in ps])]


def _reuse(tests: Sequence[tuple[Any, str, bool, bool]]) -> Optional[str]:
    """How a rule's Evidence may be reused (see Engine._evidence_plans)."""
    if not all(isinstance(leaf, Compare) for leaf, _, _, _ in tests):
        return None
    return "typed" if any(leaf.path.startswith("extra.") for leaf, _, _, _ in tests) else "plain"


def _without_run(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A compiled rule as durable takes it: the action name stays with the engine."""
    return {k: v for k, v in rule.items() if k != "run"}


__all__ = ["Engine", "Evaluation", "OrganizationResult"]
