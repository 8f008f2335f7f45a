"""The rule engine: rules compiled once to durable-rules, evaluated for valid people.

What this module holds: :class:`RuleEngine`, which matches valid Persons (and
team and organization facts) against compiled rules and resolves what fired.
It knows nothing of plugins, files, audiences, explanations or rendering: the
application layer (app.py) loads rules and plugins, prepares people and calls
it. It may import the model, the rule language, the catalog, facts, org and
resolve; never plugins, intake, explain, audience, render or app.

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
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Optional, Sequence, Union

import attrs

from .. import org
from ..catalog import Catalog
from ..errors import DevrecsError, Problem, RuleFileError
from ..facts import SCOPES, SCOPE_MARKS, fact_value, protected_name, values_reader
from ..model import Evidence, Person, Recommendation, Rule
from ..numeric import durable_json
from ..people import person_from_dict
from ..rulefile.compile import compile_rules, fact_builder
from ..rulefile.conditions import Compare, holds, leaves, literal_holds, reads
from ..rulefile.walk import leaf_tests, literal_text
from .durable import durable_rules_engine
from .resolve import DEFAULT_CAP, Resolution, plan, resolve

if TYPE_CHECKING:
    pass

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


def _refuse_protected(rules: Sequence[Rule]) -> None:
    """No rule may test a protected attribute, however it was built or named (parse.py refuses
    names in files; the application layer also refuses facts a plugin derives from one)."""
    problems = []
    for rule in rules:
        for leaf in leaves(rule.when):
            named = protected_name(leaf.path[len("extra."):]) if leaf.path.startswith("extra.") else None
            if named is not None and named.certain:
                problems.append(Problem(rule.file or "<rules>", leaf.loc[0] or rule.line, leaf.loc[1] or 1, "E140",
                                        f"rule '{rule.id}' tests '{leaf.path}', a protected attribute "
                                        f"({named.reason}): it may be audited but no rule may test it"))
    if problems:
        raise RuleFileError(problems)


def _leaf_tests(node: Any) -> list[tuple[Any, ...]]:
    """(leaf, readable test, polarity, holds-whenever-the-rule-fires) for each leaf, in order."""
    return [(leaf, literal_text(leaf, positive), positive, certain) for leaf, positive, certain in leaf_tests(node)]


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


class RuleEngine:
    """Rules compiled once; safe to share between threads. Takes valid Persons (a mapping is
    validated first; plugins' facts are the application layer's business, app.py).

    ``cap`` limits the items a person gets for themself (None keeps all);
    ``as_of`` fixes the date that history and cooldowns are measured from
    (default: today, at each call).
    """

    def __init__(self, rules: Sequence[Rule], catalog: Catalog, *, cap: Optional[int] = DEFAULT_CAP,
                 as_of: Optional[dt.date] = None, chunk_size: int = DEFAULT_CHUNK_SIZE):
        self.rules: tuple[Rule, ...] = tuple(rules)
        self._plans = tuple(plan(r) for r in self.rules)     # what resolve needs of each rule
        # rules with effective dates: out of effect on the as-of date, they do not fire (worked
        # out once per date; without dated rules nothing is done per person)
        self._dated = tuple(i for i, r in enumerate(self.rules) if r.effective_from or r.effective_until)
        self._out_of_effect: dict[dt.date, frozenset[int]] = {}
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
        paths = dict.fromkeys(path for r in self.rules if r.scope == "person" for path in reads(r.when))
        self._read_values = values_reader(paths)
        self._evidence_cache: dict[tuple[Any, ...], tuple[Evidence, ...]] = {}
        self._sessions = itertools.count(1)
        with _DURABLE_LOCK:
            compiled = self._register(compiled)
        self._compiled_text = json.dumps(compiled, sort_keys=True)
        self.ruleset_hash = self._hash()

    def _person(self, raw: PersonLike) -> Person:
        """A validated person (a Person is taken as it is)."""
        return raw if type(raw) is Person else person_from_dict(raw)

    def _too_complex(self, compiled: dict[str, Any]) -> list[Problem]:
        """Find the rules durable refuses, by compiling each on its own."""
        by_action: dict[str, dict[str, Any]] = {}
        for body in compiled.values():
            for k, v in body.items():
                by_action.setdefault(v["run"], {})[k] = _without_run(v)
        return [Problem(rule.file or "<rules>", rule.line, 1, "E130",
                        f"rule '{rule.id}' is too complex for the matching engine "
                        f"(durable-rules allows about 30 tests in one nested "
                        f"expression): split it into several rules")
                for i, rule in enumerate(self.rules)
                if _refused(by_action[self._actions_by_rule[i]]) is not None]

    def _over_limit(self, compiled: dict[str, Any]) -> Optional[Problem]:
        """The rule at which durable's fixed limits stop a ruleset, found by bisection (a
        limit once passed stays passed as rules are added, so the first refused prefix
        ends at that rule); None when every ruleset is taken on its own."""
        for body in compiled.values():
            keys = [k for k in body if k != "seen"]

            def refused(n: int, body: dict[str, Any] = body, keys: list[str] = keys) -> Optional[int]:
                return _refused({k: _without_run(body[k]) for k in keys[:n] + ["seen"]})

            code = refused(len(keys))
            if code is None:
                continue
            ok, bad = 0, len(keys)          # keys[:ok] are taken, keys[:bad] refused with `code`
            if refused(0) is not None:
                return None
            while bad - ok > 1:
                mid = (ok + bad) // 2
                found = refused(mid)
                if found is None:
                    ok = mid
                else:
                    bad, code = mid, found
            return self._limit_problem(keys[bad - 1], code)
        return None

    def _limit_problem(self, key: str, code: Union[int, str, None]) -> Problem:
        """The problem of the rule whose compiled ``key`` passes durable's limit ``code``
        (None: the number of rules in one ruleset)."""
        index = self._rule_of.get(key)
        if index is None:   # the catch-all rule: no rule of a file to name
            return Problem("<rules>", 0, 0, "E131", f"durable-rules refused the rules (error code {code})")
        rule = self.rules[index]
        where = (rule.file or "<rules>", rule.line or 1, 1)
        mine = {k: _without_run(v) for body in self._compiled_bodies for k, v in body.items()
                if v["run"] == self._actions_by_rule[index]}
        if isinstance(code, int) and _refused(mine) is not None:
            return Problem(*where, "E130", f"rule '{rule.id}' is too complex for the matching engine "
                                           f"(durable-rules allows about 30 tests in one nested expression): "
                                           f"split it into several rules")
        if code is None:
            why = (f"durable-rules takes at most {MAX_DURABLE_RULES - 1:,} rules of one scope, counting each "
                   f"branch of an 'any' at the top of 'when' as one rule, and this rule passes it")
        else:
            why = _LIMITS.get(code, f"durable-rules refused it (error code {code})")
        return Problem(*where, "E131", f"rule '{rule.id}' is one rule too many for the matching engine: {why}; "
                                       f"the rules before it load. Use fewer rules, or rules that share "
                                       f"fewer conditions")

    def _register(self, compiled: dict[str, Any]) -> dict[str, Any]:
        """Give the compiled rulesets to durable; returns them under the names they got.

        durable has been seen to refuse, now and then, a ruleset it takes under another name,
        so a refused ruleset is first tried again under fresh names, twice at most. A refusal
        that stays names the rule: too complex on its own (E130), or the one at which the
        ruleset passes one of durable's fixed limits (E131, found by bisection in a few tries,
        whatever the number of rules)."""
        self._compiled_bodies = list(compiled.values())
        for body in compiled.values():   # limits durable would hang on, or that need no bisection
            keys = [k for k in body if k != "seen"]
            if len(keys) >= MAX_DURABLE_RULES:
                raise RuleFileError([self._limit_problem(keys[MAX_DURABLE_RULES - 1], None)])
            full = _past_next_tests(body)
            if full is not None:
                raise RuleFileError([self._limit_problem(*full)])
        last: Optional[BaseException] = None
        for _ in range(3):
            try:
                self._handles = {name: durable_rules_engine.create_ruleset(
                    name, durable_json({k: _without_run(v) for k, v in body.items()}))
                    for name, body in compiled.items()}
            except Exception as exc:
                # a refusal now and then is durable's, not the rules' (seen in full test runs, error
                # code 102): the same rules under fresh names first; only a refusal that stays is
                # bisected to name the rule (the probes would meet the same chance refusals)
                last = exc
                fresh = f"devrecs_{next(_engine_ids)}"
                rename = {old: fresh + old[len(self.ruleset_name):] for old in compiled}
                compiled = {rename[k]: v for k, v in compiled.items()}
                self._rulesets = {scope: rename[n] for scope, n in self._rulesets.items()}
                self.ruleset_name = fresh
                continue
            return compiled
        problem = self._over_limit(compiled)
        if problem is not None:
            problems = [problem] if problem.code == "E131" else self._too_complex(compiled)
            raise RuleFileError(problems or [problem]) from last
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
                                 list(rule.suppresses), rule.rationale, rule.source]
                                + ([list(rule.suppresses_kinds)] if rule.suppresses_kinds else [])
                                + ([rule.owner, rule.approved_by, str(rule.effective_from or ""),
                                    str(rule.effective_until or "")]
                                   if rule.owner or rule.approved_by or rule.effective_from or rule.effective_until
                                   else [])).encode())
        for i in self.catalog:
            h.update(json.dumps([i.id, i.title, list(i.audiences), i.cooldown_months]
                                + ([i.kind] if any(r.suppresses_kinds for r in self.rules) else [])
                                + ([list(i.released_to)] if i.released_to else [])).encode())
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
            code, state = durable_rules_engine.assert_facts(handle, durable_json(facts))
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

    def day(self, as_of: Optional[dt.date] = None) -> dt.date:
        """The date history and cooldowns are measured from: ``as_of``, else the engine's, else today."""
        return as_of or self.as_of or dt.date.today()

    def _evaluate(self, person: Person, fired_indexes: set[int], as_of: dt.date,
                  get: Any, cap: Any = "engine", scope: str = "person") -> Evaluation:
        """Resolve what fired. ``get(path)`` gives the fact values the rules read."""
        if self._dated:
            off = self._out_of_effect.get(as_of)
            if off is None:
                off = frozenset(i for i in self._dated if not self.rules[i].in_effect(as_of))
                if len(self._out_of_effect) < 64:
                    self._out_of_effect[as_of] = off
            if off:
                fired_indexes = fired_indexes - off
        plans = list(map(self._plans.__getitem__, sorted(fired_indexes)))
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
                                  True if certain else literal_holds(leaf, positive, get))
                         for (leaf, test, positive, certain), value in zip(tests, actual))
            if key is not None and len(cache) < EVIDENCE_CACHE_SIZE:
                cache[key] = made
            return made

        resolution = resolve(person, plans, self.catalog, evidence=evidence, as_of=as_of,
                             cap=self.cap if cap == "engine" else cap, ruleset_hash=self.ruleset_hash)
        return Evaluation(person, tuple(p.rule for p in plans), resolution, as_of)

    # -- public API -------------------------------------------------------------

    def evaluate(self, person: PersonLike, as_of: Optional[dt.date] = None) -> Evaluation:
        """Match, resolve and keep the trace (fired rules, removed candidates)."""
        p = self._person(person)
        day = self.day(as_of)
        values = self._values(p, day)
        return self._evaluate(p, self._match([values])[0], day, values.get)

    def recommend(self, person: PersonLike, as_of: Optional[dt.date] = None) -> list[Recommendation]:
        """The recommendations for one person (a Person or a mapping of facts)."""
        return self.evaluate(person, as_of).recommendations

    def recommend_many(self, people: Iterable[PersonLike], as_of: Optional[dt.date] = None,
                       ) -> Iterator[tuple[Person, list[Recommendation]]]:
        """Yield (person, recommendations) in input order, ``chunk_size`` people per
        durable session; memory does not grow with the number of people."""
        day = self.day(as_of)
        it = iter(people)
        while True:
            chunk = [self._person(p) for p in itertools.islice(it, self.chunk_size)]
            if not chunk:
                return
            values = [self._values(p, day) for p in chunk]
            for person, v, fired in zip(chunk, values, self._match(values)):
                yield person, self._evaluate(person, fired, day, v.get).recommendations

    def recommend_organization(self, people: Iterable[PersonLike], as_of: Optional[dt.date] = None,
                               open_leadership_positions: int = 0) -> OrganizationResult:
        """Person, team (to each manager) and organization recommendations for a population.

        Team and organization facts are computed from the people (org.py);
        ``open_leadership_positions`` is the one organization fact people cannot tell.
        """
        day = self.day(as_of)
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
        day = self.day(as_of)
        get = lambda path: fact_value(p, path, day)  # noqa: E731
        return [r.id for r in self.rules if r.scope == "person" and holds(r.when, get)]

    def durable_fired(self, people: Sequence[PersonLike], as_of: Optional[dt.date] = None) -> list[list[str]]:
        """Ids of the rules durable matched, per person, all in one session."""
        ps = [self._person(p) for p in people]
        day = self.day(as_of)
        return [[self.rules[i].id for i in sorted(m)] for m in self._match([self._values(p, day) for p in ps])]


def _reuse(tests: Sequence[tuple[Any, str, bool, bool]]) -> Optional[str]:
    """How a rule's Evidence may be reused (see Engine._evidence_plans)."""
    if not all(isinstance(leaf, Compare) for leaf, _, _, _ in tests):
        return None
    return "typed" if any(leaf.path.startswith("extra.") for leaf, _, _, _ in tests) else "plain"


# durable-rules' fixed limits (rete.c): rules (actions) in one ruleset, the catch-all "seen" among them
MAX_DURABLE_RULES = 4096
_LIMITS: dict[Union[int, str], str] = {
    106: ("durable-rules allows at most 512 different tests right after the same tests (for example "
          "512 different thresholds of one fact, each the first test of a rule)"),
    107: "durable-rules allows at most 32 'exists' or 'missing' tests right after the same tests",
    108: ("durable-rules lets at most 16 differently built rules end at the same test (each branch of an "
          "'any' at the top of 'when' counts as a rule), and this rule is one more"),
}
_ERROR_CODE = re.compile(r"error code: (\d+)")
# durable keeps the different tests that follow one test in a table of 512 slots, and looks a
# new test up there without stopping when the table is full: the process hangs. 'exists'
# tests go to a list of 32 that durable reads past its end. So tests are counted here first,
# shared between rules as durable shares them (rete.c: createAlpha, findAlpha, linkAlpha).
MAX_NEXT_TESTS = 511
MAX_NEXT_MISSING = 31
_LIMITS["next"] = (f"durable-rules allows at most {MAX_NEXT_TESTS} different tests right after the same "
                   f"tests (for example {MAX_NEXT_TESTS} different thresholds of one fact, each the first "
                   f"test of a rule), and this rule adds one more")
_LIMITS["missing"] = (f"durable-rules allows at most {MAX_NEXT_MISSING} different 'missing' tests right after "
                      f"the same tests, and this rule adds one more")


def _past_next_tests(body: Mapping[str, Any]) -> Optional[tuple[str, str]]:
    """``(key, limit)`` of the first compiled rule that gives some test more different tests
    after it than durable can hold, as durable shares tests between rules; None if none does."""
    nodes: dict[tuple[Any, ...], int] = {}      # (parent node, test) -> node
    after: dict[tuple[Any, ...], int] = {}      # (node, "next" or "missing") -> different tests right after it
    ors = itertools.count(-1, -1)     # an 'or' joins its branches in a node of its own

    def child(parent: int, test: Any, kind: str = "next") -> int:
        node = nodes.get((parent, test))
        if node is None:
            node = nodes[(parent, test)] = len(nodes) + 1
            count = after[(parent, kind)] = after.get((parent, kind), 0) + 1
            if count > (MAX_NEXT_MISSING if kind == "missing" else MAX_NEXT_TESTS):
                raise OverflowError(kind)
        return node

    def walk(expr: Mapping[str, Any], parent: int) -> int:
        (op, value), = expr.items()
        if op == "$and":
            for item in value:
                parent = walk(item, parent)
            return parent
        if op == "$or":
            joined = next(ors)
            for item in value:
                child(walk(item, parent), joined)
            return joined
        if op in ("$iany", "$iall"):
            (name, inner), = value.items()
            node = child(parent, (op, name))
            walk(inner, -node)        # the tests on a list's items are kept apart from the node's own
            return node
        return child(parent, json.dumps(expr, sort_keys=True), "missing" if op == "$nex" else "next")

    for key, rule in body.items():
        try:
            for part in rule["all"]:
                for expr in part.values():
                    walk(expr, 0)
        except OverflowError as full:
            return key, str(full)
        except (ValueError, AttributeError, TypeError):   # a shape this model does not know: durable decides
            continue
    return None


def _refused(body: Mapping[str, Any]) -> Optional[int]:
    """durable's error code when it refuses ``body`` (a ruleset of rules without ``run``), else
    None; the ruleset is deleted again either way."""
    try:
        handle = durable_rules_engine.create_ruleset(f"devrecs_probe_{next(_engine_ids)}", durable_json(body))
    except Exception as exc:
        found = _ERROR_CODE.search(str(exc))
        return int(found.group(1)) if found else -1
    durable_rules_engine.delete_ruleset(handle)
    return None


def _without_run(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A compiled rule as durable takes it: the action name stays with the engine."""
    return {k: v for k, v in rule.items() if k != "run"}


__all__ = ["RuleEngine", "Evaluation", "OrganizationResult"]
