"""The application layer: the one place where rules, plugins, people and outputs meet.

What this module holds: :class:`Engine`, what a program or a command holds.
It loads rule packs with their plugins, opens people from any source (a
plugin's too) through an optional mapping, prepares each person exactly once
(validated, history from the store, plugins' facts), runs a population for
an audience (people, and optionally teams and the organization) and tells
the sinks, the store and the decision log what that audience was shown, and
explains. Every command (cli/) calls it; nothing below it imports it.

The matching itself is :class:`devrecs.engine.core.RuleEngine` (``engine.core``),
which takes valid Persons and knows nothing of plugins or audiences.

A mapping given to :meth:`Engine.prepare`, :meth:`Engine.recommend` and the
like is a raw record: it is validated and enriched by plugins. A
:class:`Person` is taken as prepared (people from :meth:`Engine.people` and
:meth:`Engine.prepare` are), so no person is enriched twice.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

import attrs

from .audience import TALENT_REVIEW, WITHHELD, check_audience, from_review, masked, redact, released_only
from .catalog import Catalog
from .engine.core import DEFAULT_CHUNK_SIZE, Evaluation, OrganizationResult, RuleEngine
from .engine.resolve import DEFAULT_CAP
from .errors import DevrecsError, RecordError
from .intake import pipeline
from .model import Person, Recommendation, Rule
from .numeric import EXACT_INT_LIMIT
from .packs import PathLike, load_packs, resolve_paths
from .people import person_from_dict, person_to_dict
from .plugins.manager import PluginError, Plugins

PersonLike = Union[Person, Mapping[str, Any]]
Result = tuple[Person, list[Recommendation]]


class Engine:
    """Rules compiled once, with the plugins they were loaded with; safe to share between threads.

    ``Engine(rules, catalog)`` has no plugins; :meth:`default` and :meth:`from_paths` load the
    built-in packs or rule files with the installed plugins. ``cap`` limits the items a person
    gets for themself (None keeps all); ``as_of`` fixes the date history and cooldowns are
    measured from (default: today, at each call).
    """

    def __init__(self, rules: Sequence[Rule], catalog: Catalog, *, cap: Optional[int] = DEFAULT_CAP,
                 as_of: Optional[dt.date] = None, chunk_size: int = DEFAULT_CHUNK_SIZE,
                 plugins: Optional[Plugins] = None, overrides: Sequence[Any] = ()):
        self.core = RuleEngine(rules, catalog, cap=cap, as_of=as_of, chunk_size=chunk_size)
        if plugins is not None and plugins.enriches:    # no rule may test a fact a plugin derives
            from .authoring.validate import refuse_protected  # from a protected attribute (twin probes)
            refuse_protected(self.core.rules, plugin_manager=plugins)
        self.plugins = plugins
        self.overrides = tuple(overrides)      # plugin rules that replaced built-in ones
        self.paths: Optional[list] = None      # the rule paths given to from_paths
        self.files: tuple = ()                 # the rule files read (RuleFile: file, ruleset, version)
        self._reload: Optional[Callable[[], Engine]] = None
        self._sources: Optional[dict[str, Any]] = None

    # -- construction -----------------------------------------------------------

    @classmethod
    def default(cls, *, plugins: Optional[Sequence[Any]] = None, entry_points: bool = True,
                disabled: Optional[Iterable[str]] = None, plugins_dir: Optional[str] = None,
                **kwargs: Any) -> Engine:
        """The built-in rule packs and catalog, with installed plugins (entry-point group
        ``devrecs``, unless ``entry_points=False``), a local plugins folder (``plugins_dir``,
        default $DEVRECS_PLUGINS_DIR) and the ``plugins`` given."""
        return cls.from_paths(None, plugins=plugins, entry_points=entry_points, disabled=disabled,
                              plugins_dir=plugins_dir, **kwargs)

    @classmethod
    def from_paths(cls, paths: Optional[Iterable[PathLike]], *, default_catalog: bool = True,
                   plugins: Optional[Sequence[Any]] = None, entry_points: bool = True,
                   disabled: Optional[Iterable[str]] = None, plugins_dir: Optional[str] = None,
                   **kwargs: Any) -> Engine:
        """Rule files and folders (None or empty: the built-in packs and the plugins' packs). The
        default catalog and plugins' interventions are included (the default catalog unless
        ``default_catalog=False``); catalog files among ``paths`` add to them."""
        given = list(paths) if paths else None
        hooks = Plugins.load(plugins, entry_points, disabled, plugins_dir)
        if given:
            packs = load_packs(resolve_paths(given, default_catalog), hooks.interventions())
        else:
            packs = load_packs(hooks.rule_paths(), hooks.interventions())
        engine = cls(packs.rules, packs.catalog, plugins=hooks, overrides=packs.overrides, **kwargs)
        engine.paths = given
        engine.files = packs.files

        def reload() -> Engine:
            return cls.from_paths(given, default_catalog=default_catalog, plugins=plugins,
                                  entry_points=entry_points, disabled=disabled, plugins_dir=plugins_dir, **kwargs)
        engine._reload = reload
        return engine

    def reload(self) -> Engine:
        """A new Engine built again from the same paths and options (the files as they are now).

        This engine is not changed: requests running on it finish with its rules, and every
        recommendation carries the ``ruleset_hash`` of the engine that made it. A rule-file
        problem raises RuleFileError and leaves this engine usable."""
        if self._reload is None:
            raise DevrecsError("this engine was built from rules in memory, not with Engine.from_paths "
                               "or Engine.default: build a new Engine instead")
        return self._reload()

    def with_cap(self, cap: Optional[int]) -> Engine:
        """The same rules and plugins with another cap (compiled anew)."""
        other = type(self)(self.rules, self.catalog, cap=cap, as_of=self.as_of, chunk_size=self.core.chunk_size,
                           plugins=self.plugins, overrides=self.overrides)
        other.paths, other._reload, other.files = self.paths, self._reload, self.files
        return other

    # -- what it holds ------------------------------------------------------------

    @property
    def rules(self) -> tuple[Rule, ...]:
        return self.core.rules

    @property
    def catalog(self) -> Catalog:
        return self.core.catalog

    @property
    def cap(self) -> Optional[int]:
        return self.core.cap

    @property
    def as_of(self) -> Optional[dt.date]:
        return self.core.as_of

    @property
    def chunk_size(self) -> int:
        return self.core.chunk_size

    @property
    def ruleset_hash(self) -> str:
        return self.core.ruleset_hash

    @property
    def ruleset_name(self) -> str:
        return self.core.ruleset_name

    @property
    def packs(self) -> dict[str, str]:
        """The rule packs loaded: name (a rule file's ``ruleset``) -> its ``version`` ("" when the
        rules were given in memory). Decision log lines carry it beside the rule set hash."""
        found = {f.ruleset: str(f.version) for f in self.files}
        return found or {r.ruleset: "" for r in self.rules if r.ruleset}

    @property
    def provenance(self) -> dict[str, Any]:
        """What made a recommendation: the rule set hash and the packs with their versions
        (``{"ruleset_hash": ..., "packs": {name: version}}``, a new dict each time). Every record
        the CLI and batch write carries it once (per person, team or organization record, not
        per item); decision log lines carry the same two fields."""
        return {"ruleset_hash": self.ruleset_hash, "packs": dict(self.packs)}

    @property
    def compiled(self) -> dict:
        """The durable-rules JSON exactly as posted to durable (with ``run`` keys)."""
        return self.core.compiled

    def day(self, as_of: Optional[dt.date] = None) -> dt.date:
        return self.core.day(as_of)

    # -- plugins' registries ---------------------------------------------------------

    def sources(self) -> dict[str, Any]:
        """Data sources by name: the built-ins and every plugin's (this engine's own registry)."""
        if self._sources is None:
            if self.plugins is None:
                from .intake.sources import builtin_sources
                self._sources = builtin_sources()
            else:
                self._sources = self.plugins.sources()
        return dict(self._sources)

    def formats(self) -> dict[str, Any]:
        """Explanation renderers by name: text, json, markdown and every plugin's."""
        if self.plugins is None:
            from .render.explanations import JsonRenderer, MarkdownRenderer, TextRenderer
            return {"text": TextRenderer(), "json": JsonRenderer(), "markdown": MarkdownRenderer()}
        return self.plugins.formats()

    def render(self, explanation: Any, fmt: str) -> str:
        """The explanation in the format ``fmt``; a plugin renderer's fault names the plugin."""
        from .errors import UnknownIdError, did_you_mean
        renderers = self.formats()
        if fmt not in renderers:
            raise UnknownIdError(f"unknown format '{fmt}'{did_you_mean(fmt, renderers)}; "
                                 f"expected one of {', '.join(sorted(renderers))}")
        try:
            text = renderers[fmt].render(explanation)
        except DevrecsError:
            raise
        except Exception as exc:
            owner = self.plugins.format_owner(fmt) if self.plugins else ""
            raise PluginError(f"plugin '{owner or '?'}' failed to render the format '{fmt}': "
                              f"{type(exc).__name__}: {exc}") from None
        if not isinstance(text, str):
            owner = self.plugins.format_owner(fmt) if self.plugins else ""
            raise PluginError(f"plugin '{owner or '?'}': the format '{fmt}' returned {type(text).__name__} "
                              f"from render(); expected str")
        return text

    def notify(self, subject: str, recommendations: Sequence[Recommendation], audience: str) -> list[str]:
        """Tell the plugins' sinks; returns one message per failing sink (the rest still run)."""
        if self.plugins is None:
            return []
        return self.plugins.notify(subject, recommendations, audience)

    # -- people -------------------------------------------------------------------------

    def prepare(self, raw: PersonLike, record: Optional[str] = None) -> Person:
        """A raw record (a mapping) validated, with plugins' facts added; a Person is taken as
        prepared."""
        if type(raw) is Person:
            return raw
        return self._enrich(person_from_dict(raw, record=record))

    def _enrich(self, person: Person) -> Person:
        if self.plugins is None or not self.plugins.enriches:
            return person
        added, history = self.plugins.enrich(person)
        if not added and not history:
            return person
        data = person_to_dict(person)
        data["extra"] = dict(data.get("extra") or {}, **added)
        data["history"] = list(data.get("history") or []) + list(history)
        data.pop("nine_box", None)
        return person_from_dict(data, record=f"person {person.id!r} (after plugins)")

    def open(self, location: str, *, mapping: Optional[str] = None, source: Optional[str] = None,
             table: Optional[str] = None, query: Optional[str] = None) -> People:
        """The people of ``location`` (a file, a database URL, or ``sample`` for the built-in
        sample) read by ``source`` (this engine's registry; default by extension) through the
        mapping file ``mapping``. Configuration errors raise here; bad records are rejects."""
        registry = self.sources()
        records = pipeline.open_records(location, registry, source=source, table=table, query=query)
        data_map = pipeline.read_mapping(mapping, registry)
        notes: list[str] = []
        if data_map is not None:      # a rule on a column renamed from a protected one is refused (E140)
            from .authoring.validate import mapping_protected
            notes = mapping_protected(self.rules, data_map)
        return People(self, records, data_map, notes)

    def people(self, records: Iterable[tuple[Any, Any]], *, mapping: Any = None, tabular: bool = False,
               store: Any = None) -> Iterator[tuple[Any, Union[Person, pipeline.Reject]]]:
        """(label, prepared Person or Reject) for each raw record, in order: mapped, validated,
        history joined from ``store``, plugins' facts added, each exactly once."""
        reader = pipeline.Reader(mapping, tabular)
        it = iter(records)
        while True:
            chunk = list(itertools.islice(it, self.core.chunk_size))
            if not chunk:
                return
            read = [(label, reader.read(label, raw)) for label, raw in chunk]
            if store is not None:
                from .oversight.store import with_history
                merged = iter(with_history([p for _, p in read if isinstance(p, Person)], store))
                read = [(label, next(merged) if isinstance(p, Person) else p) for label, p in read]
            for label, p in read:
                if isinstance(p, Person):
                    try:
                        p = self._enrich(p)
                    except RecordError as exc:
                        p = pipeline.reject(label, p.id, tuple(pipeline.split_message(m) for m in exc.messages))
                yield label, p

    # -- evaluating -----------------------------------------------------------------------

    def evaluate(self, person: PersonLike, as_of: Optional[dt.date] = None) -> Evaluation:
        """Match, resolve and keep the trace (fired rules, removed candidates)."""
        return self.core.evaluate(self.prepare(person), as_of)

    def recommend(self, person: PersonLike, as_of: Optional[dt.date] = None) -> list[Recommendation]:
        """The recommendations for one person (a Person or a mapping of facts)."""
        return self.evaluate(person, as_of).recommendations

    def recommend_many(self, people: Iterable[PersonLike], as_of: Optional[dt.date] = None,
                       audience: Optional[str] = None, review: Any = None) -> Iterator[Result]:
        """Yield (person, recommendations) in input order, ``chunk_size`` people per durable
        session; memory does not grow with the number of people. With ``audience``, each list
        is what that audience may see (see :meth:`recommend_for`, and ``review`` there)."""
        prepared = (self.prepare(p) for p in people)
        if audience is None:           # everything, as HR sees it
            everything = self.core.recommend_many(prepared, as_of)
            yield from everything if review is None else _flag_contested(everything, review, "hr")
            return
        check_audience(audience)
        catalog = self.catalog
        released = audience == "employee" and review is not None
        views = (masked(p, audience, catalog) for p in prepared)
        if review is None and self._cap_after_redaction(audience):
            yield from self._capped_after_redaction(views, as_of, audience)
            return
        core = self._uncapped() if released else self.core
        shown, once = self._view(audience, review)
        results = ((person, _redacted(recs, audience, shown, once))
                   for person, recs in core.recommend_many(views, as_of))
        if review is None:
            yield from results
        elif released:
            yield from self._released(results, review)
        else:
            yield from _flag_contested(results, review, audience)

    def recommend_for(self, person: PersonLike, audience: str, as_of: Optional[dt.date] = None,
                      review: Any = None) -> list[Recommendation]:
        """The recommendations as ``audience`` may see them (audience.py): computed from the
        facts and history it may see, without interventions it may not see, hidden facts withheld.

        ``review``: the store whose review decides (None: no review). With it, the employee sees
        only items a reviewer released (``Store.released``), then the cap; nothing tells how many
        others wait or were rejected (the cap is applied after the filter, so waiting items take
        no place). Items the catalog gives the employee only once released (``released_to``, such
        as a pay review) are among them, their reasons named as the talent review and their
        evidence withheld (audience.from_review); without review the employee never sees them.
        HR sees each contested fact marked beside the fact (``[contested: reason]``)."""
        if review is not None or self._cap_after_redaction(audience):
            return list(self.recommend_many([person], as_of, audience, review))[0][1]
        check_audience(audience)
        view = masked(self.prepare(person), audience, self.catalog)
        return _redacted(self.core.evaluate(view, as_of).recommendations, audience, self.catalog)

    def reviewed(self, results: Iterable[Result], review: Any, audience: Optional[str]) -> list[Result]:
        """People's results computed already (an organization run's) with ``review`` applied as
        :meth:`recommend_for` applies it; here the employee's items were capped before the filter."""
        if review is None:
            return list(results)
        return list(self._released(results, review) if audience == "employee" else
                    _flag_contested(results, review, audience or "hr"))

    def _view(self, audience: str, review: Any) -> tuple[Catalog, frozenset[str]]:
        """The catalog that decides what ``audience`` may see, and the interventions it sees only
        once released: with review on, the employee's view also keeps items whose catalog entry
        has it in ``released_to`` (the review filter then keeps only released ones)."""
        if review is None or audience != "employee":
            return self.catalog, frozenset()
        once = released_only(self.catalog, audience)
        return (self.catalog.once_released(audience), once) if once else (self.catalog, once)

    def _cap_after_redaction(self, audience: str) -> bool:
        """Whether items ``audience`` never sees without review (``released_to``) could take places
        under the cap: then its view is capped after they are left out, so no gap tells of them."""
        return self.cap is not None and audience == "employee" and bool(released_only(self.catalog, audience))

    def _capped_after_redaction(self, views: Iterable[Person], as_of: Optional[dt.date],
                                audience: str) -> Iterator[Result]:
        """The audience's items, capped after those it never sees are left out. The capped engine
        gives the first ``cap`` of the uncapped list, so only a person whose capped list is full
        and holds such an item is matched again without the cap (a few in a hundred)."""
        unseen = released_only(self.catalog, audience)
        cap = self.cap
        it = self.core.recommend_many(views, as_of)
        while True:
            chunk = list(itertools.islice(it, self.core.chunk_size))
            if not chunk:
                return
            again = [n for n, (p, recs) in enumerate(chunk)
                     if any(r.intervention in unseen and r.subject == p.id for r in recs)
                     and sum(r.subject == p.id for r in recs) >= (cap or 0)]
            redone = dict(zip(again, (recs for _, recs in self._uncapped().recommend_many(
                [chunk[n][0] for n in again], as_of)))) if again else {}
            for n, (person, recs) in enumerate(chunk):
                if n in redone:
                    yield person, _capped(_redacted(redone[n], audience, self.catalog), person.id, cap)
                else:
                    yield person, _redacted(recs, audience, self.catalog)

    def _released_core(self) -> RuleEngine:
        """The uncapped engine seen through the employee's catalog once released (for explain):
        the same compiled rules, only the catalog (who may see what) differs."""
        shown, once = self._view("employee", True)
        core = self._uncapped()
        if not once:
            return core
        if getattr(self, "_released_view", None) is None:
            view = copy.copy(core)
            view.catalog = shown
            self._released_view = view
        return self._released_view

    def _uncapped(self) -> RuleEngine:
        """The same rules without a cap (built once): an employee's released items are capped
        after the review filter."""
        if self.cap is None:
            return self.core
        if getattr(self, "_uncapped_core", None) is None:
            self._uncapped_core = RuleEngine(self.rules, self.catalog, cap=None, as_of=self.as_of,
                                             chunk_size=self.core.chunk_size)
        return self._uncapped_core

    def _released(self, results: Iterable[Result], store: Any) -> Iterator[Result]:
        """Each person's items that a reviewer released (store.released), then capped."""
        it = iter(results)
        while True:
            chunk = list(itertools.islice(it, self.core.chunk_size))
            if not chunk:
                return
            shown = store.released(p.id for p, _ in chunk)
            for person, recs in chunk:
                yield person, _capped([r for r in recs if (person.id, r.subject, r.intervention) in shown],
                                      person.id, self.cap)

    def recommend_organization(self, people: Iterable[PersonLike], as_of: Optional[dt.date] = None,
                               open_leadership_positions: int = 0, audience: Optional[str] = None,
                               review: Any = None) -> OrganizationResult:
        """Person, team (to each manager) and organization recommendations for a population.

        Team and organization facts are computed from the people (org.py), as ``audience``
        may see them when given; ``open_leadership_positions`` is the one organization fact
        people cannot tell: a whole number from 0 to 2**53 (durable compares larger ones inexactly).
        ``review`` (a store) applies to the people's items as :meth:`reviewed` applies it."""
        n = open_leadership_positions
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= EXACT_INT_LIMIT:
            raise DevrecsError(f"open leadership positions: expected a whole number from 0 to 2**53, got {n!r:.40}")
        prepared: Iterable[Person] = (self.prepare(p) for p in people)
        if audience is None:
            found = self.core.recommend_organization(prepared, as_of, open_leadership_positions)
            return found if review is None else attrs.evolve(found, people=self.reviewed(found.people, review, None))
        check_audience(audience)
        catalog = self.catalog
        result = self.core.recommend_organization((masked(p, audience, catalog) for p in prepared), as_of,
                                                  open_leadership_positions)
        shown, once = self._view(audience, review)
        return attrs.evolve(result,
                            people=self.reviewed([(p, _redacted(recs, audience, shown, once))
                                                  for p, recs in result.people], review, audience),
                            teams={m: _redacted(recs, audience, catalog) for m, recs in result.teams.items()},
                            organization=_redacted(result.organization, audience, catalog))

    def explain(self, person: PersonLike, intervention: Optional[str] = None, audience: str = "hr",
                as_of: Optional[dt.date] = None, review: Any = None) -> Any:
        """Why (or why not) this person gets ``intervention`` (default: each item they get), as
        ``audience`` may see it (explain.py). ``review`` (a store) as for :meth:`recommend_for`:
        the employee is explained only released items (any other item, waiting, rejected or not
        recommended, is left out alike); HR sees contested facts marked."""
        from .explain import explain
        prepared = self.prepare(person)
        if review is None and intervention is None and self._cap_after_redaction(audience):
            # the items recommend_for shows: the cap after the items the employee may not see
            found = explain(self._uncapped(), prepared, None, audience, as_of)
            return attrs.evolve(found, items=tuple(i for i in found.items if i.status == "recommended")[:self.cap])
        if review is None:
            return explain(self.core, prepared, intervention, audience, as_of)
        if audience == "employee":        # only released items, explained as if no other item waited
            # history as the employee's view without review has it (released_to items masked as before)
            view = masked(prepared, audience, self.catalog)
            found = explain(self._released_core(), view, intervention, audience, as_of)
            shown = {i for p, _, i in review.released([prepared.id]) if p == prepared.id}
            once = self._view(audience, review)[1]
            items = [_explained_from_review(i) if i.intervention in once else i for i in found.items
                     if i.status == "recommended" and i.intervention in shown]
            if intervention is None and self.cap is not None:     # as many as recommend_for shows
                items = items[:self.cap]
            return attrs.evolve(found, items=tuple(items))
        found = explain(self.core, prepared, intervention, audience, as_of)
        if audience not in ("hr", "manager"):
            return found
        # HR and managers read where each recommended item stands in review ("new": never proposed)
        states = review.review_states([prepared.id])
        found = attrs.evolve(found, items=tuple(
            attrs.evolve(item, review=states.get((prepared.id, prepared.id, item.intervention), "new"))
            if item.status == "recommended" else item for item in found.items))
        if audience != "hr":
            return found
        contested = review.contested([prepared.id]).get(prepared.id, [])
        return attrs.evolve(found, items=tuple(
            attrs.evolve(item, why=_flag_checks(item.why, contested), why_not=_flag_checks(item.why_not, contested))
            for item in found.items))

    def python_fired(self, person: PersonLike, as_of: Optional[dt.date] = None) -> list[str]:
        """Ids of the rules whose conditions hold, by the Python evaluator (no durable)."""
        return self.core.python_fired(self.prepare(person), as_of)

    def durable_fired(self, people: Sequence[PersonLike], as_of: Optional[dt.date] = None) -> list[list[str]]:
        """Ids of the rules durable matched, per person, all in one session."""
        return self.core.durable_fired([self.prepare(p) for p in people], as_of)

    # -- contest: a corrected fact re-runs the person ------------------------------------------

    def correct(self, person: PersonLike, store: Any, *, by: str, fact: Optional[str] = None,
                as_of: Optional[dt.date] = None) -> tuple[Person, list[Recommendation], str]:
        """Re-run one person after a contested fact was corrected (``person``: the record re-read
        from its source, or with the corrected value set, e.g. by :func:`set_fact`): history from
        ``store`` joined, the proposals recorded as a new run that waits for review like any other,
        and the person's open contests of ``fact`` (None: of every fact) marked corrected by ``by``
        with that run. Returns (person, proposals, run id)."""
        from .oversight.store import with_history
        if type(person) is Person:
            prepared = next(with_history([person], store))
        else:
            prepared = pipeline.strict(self.people([("correction", person)], store=store))[0]
        day = self.day(as_of)
        with Outputs(self, None, store=store, label=f"correction of {fact or 'facts'} for {prepared.id}",
                     as_of=day) as outputs:
            run = self.run([prepared], as_of=day, outputs=outputs)
        assert outputs.run_id is not None
        store.corrected(prepared.id, fact, by=by, run_id=outputs.run_id)
        return prepared, run.people[0][1], outputs.run_id

    # -- a population run ------------------------------------------------------------------

    def run(self, people: Iterable[Person], *, audience: Optional[str] = None, org: bool = False,
            open_positions: int = 0, as_of: Optional[dt.date] = None, outputs: Optional[Outputs] = None,
            ) -> Run:
        """Recommend for prepared ``people`` as ``audience`` sees them (None: everything, as hr),
        with ``org`` also for teams and the organization; every result goes to ``outputs``
        (sinks, store, decision log) as that audience was shown it. With a store in ``outputs``
        review is on (``Outputs(review=False)`` switches it off): see :meth:`recommend_for`."""
        if audience is not None:
            check_audience(audience)
        day = self.day(as_of)
        review = outputs.review if outputs is not None else None
        if org:
            result = self.recommend_organization(people, day, open_positions, audience, review=review)
            run = Run(result.people, list(result.teams.items()) + [("organization", result.organization)], result)
        else:
            run = Run(list(self.recommend_many(people, day, audience, review)), [], None)
        if outputs is not None:
            for person, recs in run.people:
                outputs.person(person, recs)
            for subject, recs in run.groups:
                outputs.group(subject, recs)
        return run


def set_fact(person: Person, fact: str, value: Any) -> Person:
    """The person with ``fact`` (a path such as ``engagement``, ``pipeline.status`` or
    ``extra.department``) set to ``value``, validated again (a correction given by hand)."""
    data = person_to_dict(person)
    *parents, last = fact.split(".")
    node = data
    for key in parents:
        child = node.get(key)
        if child is None:
            child = node[key] = {}
        if not isinstance(child, dict):
            raise RecordError(f"person {person.id!r}", [f"{fact}: {key} holds a {type(child).__name__}, not fields"])
        node = child
    node[last] = value
    if fact in ("performance", "potential"):
        data.pop("nine_box", None)        # derived from the two again
    return person_from_dict(data, record=f"person {person.id!r} (corrected {fact})")


def _capped(recs: Sequence[Recommendation], person_id: str, cap: Optional[int]) -> list[Recommendation]:
    """At most ``cap`` of the person's own items, in order (items for their manager are not
    counted), as resolve.py caps them."""
    if cap is None:
        return list(recs)
    out, own = [], 0
    for r in recs:
        if r.subject == person_id:
            if own >= cap:
                continue
            own += 1
        out.append(r)
    return out


def _contested_text(contested: Sequence[Any], fact: str) -> str:
    reasons = [c.reason for c in contested if fact == c.fact or fact.startswith(c.fact + ".")
               or c.fact.startswith(fact + ".")]
    return f" [contested: {'; '.join(dict.fromkeys(reasons))}]" if reasons else ""


def _flag_checks(checks: Sequence[Any], contested: Sequence[Any]) -> tuple:
    """Rule checks (explain.py) with each contested fact marked beside its test."""
    out = []
    for rule in checks:
        marked = tuple(attrs.evolve(c, test=c.test + note) if (note := _contested_text(contested, c.fact)) else c
                       for c in rule.checks)
        out.append(attrs.evolve(rule, checks=marked) if marked != rule.checks else rule)
    return tuple(out)


def _flag_contested(results: Iterable[Result], store: Any, audience: str) -> Iterator[Result]:
    """HR's results with each contested fact marked in the evidence (other audiences as they are)."""
    if audience != "hr":
        yield from results
        return
    it = iter(results)
    while True:
        chunk = list(itertools.islice(it, 500))
        if not chunk:
            return
        contested = store.contested([p.id for p, _ in chunk])
        for person, recs in chunk:
            mine = contested.get(person.id)
            if mine:
                recs = [attrs.evolve(r, evidence=tuple(
                    attrs.evolve(e, test=e.test + note) if (note := _contested_text(mine, e.fact)) else e
                    for e in r.evidence)) for r in recs]
            yield person, recs


def _redacted(recs: Sequence[Recommendation], audience: str, catalog: Catalog,
              once: frozenset[str] = frozenset()) -> list[Recommendation]:
    """The items ``audience`` may see; those in ``once`` (seen only once released) from the review."""
    out = (redact(r, audience, catalog) for r in recs)
    return [from_review(r) if r.intervention in once else r for r in out if r is not None]


def _explained_from_review(item: Any) -> Any:
    """An explained item the employee sees only once released: one check, the talent review's,
    its conditions withheld whole (as audience.from_review withholds the evidence)."""
    from .explain import TALENT_REVIEW_TITLE, RuleCheck
    rationale = next((r.rationale for r in item.why if r.rationale), "")
    why = (RuleCheck(TALENT_REVIEW, TALENT_REVIEW_TITLE, rationale, "", True, WITHHELD, ()),)
    priority = item.summary.partition("(priority ")[2].partition(")")[0]
    return attrs.evolve(item, why=why, why_not=(), summary=f"recommended (priority {priority}) by '{TALENT_REVIEW}'")


@attrs.frozen
class Run:
    """What a population run gave: (person, recs) in input order, team and organization
    results as (subject, recs), and the organization result with its facts (with ``org``)."""

    people: list
    groups: list
    organization: Optional[OrganizationResult]


class People:
    """An opened source of people with its mapping: iterate for (label, Person or Reject)."""

    def __init__(self, engine: Engine, records: pipeline.Records, mapping: Any, notes: Sequence[str] = ()):
        self.engine = engine
        self.notes = list(notes)     # warnings about the mapping (W140: a fact that may be protected)
        self.records = records
        self.mapping = mapping
        self.label = records.label
        self.tabular = records.tabular

    @property
    def as_of(self) -> Optional[dt.date]:
        """The date the data carries (a file's ``as_of``), known once reading has begun."""
        return self.records.as_of

    def warnings(self) -> list[str]:
        return self.mapping.load_joins() if self.mapping is not None else []

    def read(self, store: Any = None) -> Iterator[tuple[Any, Union[Person, pipeline.Reject]]]:
        """(label, prepared Person or Reject) for every record, streamed."""
        return self.engine.people(pipeline.check_columns(self.mapping, self.records), mapping=self.mapping,
                                  tabular=self.tabular, store=store)

    def all(self, store: Any = None) -> list[Person]:
        """Every person, or one DevrecsError listing every bad record and duplicate id."""
        return pipeline.strict(self.read(store))


class Outputs:
    """Where a run's results go, as its audience was shown them: the plugins' sinks, the
    store (a recorded run) and the decision log. Close it (or use ``with``) to finish."""

    def __init__(self, engine: Engine, audience: Optional[str], *, store: Any = None, log: Any = None,
                 label: str = "", as_of: Optional[dt.date] = None, sinks: bool = True,
                 warn: Optional[Callable[[str], None]] = None, review: bool = True):
        self.engine = engine
        self.audience = audience or "hr"
        # review before release: on whenever there is a store, unless switched off here
        self.review = store if review and store is not None else None
        # an employee view with review on shows proposals already released: it proposes nothing new
        self.shows_released = self.review is not None and self.audience == "employee"
        self.review_state = None if self.audience != "employee" else (
            "released-only" if self.review is not None else "off" if store is not None else "no-store")
        if self.review_state == "off" and warn is not None:
            warn("warning: review is off: this employee view shows proposals no reviewer has released")
        self.sinks = sinks and engine.plugins is not None and engine.plugins.has_sinks
        self.warn = warn or (lambda line: None)
        self.recorder = None
        self.log = None
        self.people = 0
        self.proposals = 0
        day = engine.day(as_of)
        if store is not None:
            note = {"released-only": " (employee view of released items)", "off": " (review off)"}
            self.recorder = store.start_run(engine.ruleset_hash, as_of=day, audience=self.audience,
                                            label=label + note.get(self.review_state or "", ""))
        if log is not None:
            from .oversight.decisionlog import DecisionLog
            path, pseudonymiser = log
            self.log = DecisionLog(path, ruleset_hash=engine.ruleset_hash, audience=self.audience, as_of=day,
                                   run_id=self.recorder.run_id if self.recorder is not None else None,
                                   pseudonymiser=pseudonymiser, cap=engine.cap, packs=engine.packs,
                                   review=self.review_state)

    @property
    def run_id(self) -> Optional[str]:
        return self.recorder.run_id if self.recorder is not None else None

    def _sink(self, subject: str, recs: Sequence[Recommendation]) -> None:
        if self.sinks:
            for failure in self.engine.notify(subject, recs, self.audience):
                self.warn(f"warning: {failure}")

    def person(self, person: Person, recs: Sequence[Recommendation]) -> None:
        self.people += 1
        self.proposals += 0 if self.shows_released else len(recs)    # proposals made, not items shown
        self._sink(person.id, recs)
        if self.recorder is not None:       # (an employee view of released items proposes nothing new)
            self.recorder.add([] if self.shows_released else recs, person.id)
        if self.log is not None:
            self.log.write(person.id, recs)

    def group(self, subject: str, recs: Sequence[Recommendation]) -> None:
        self.proposals += len(recs)
        self._sink(subject, recs)
        if self.recorder is not None:
            self.recorder.add(recs, subject)

    def row(self, row: Mapping[str, Any]) -> None:
        """A batch output row made elsewhere (a worker): recorded and logged, not sunk."""
        recs = row["recommendations"]
        self.proposals += 0 if self.shows_released else len(recs)
        if self.recorder is not None and not self.shows_released:
            self.recorder.add_row(row)
        if self.log is not None and row.get("person") is not None:
            self.people += 1
            self.log.write(row["person"], recs)

    def close(self, finished: bool = True) -> None:
        """Finish the log and the store's run (a run that did not finish is marked so)."""
        if self.log is not None:
            self.log.close()
        if self.recorder is not None:
            self.recorder.close(finished)

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, kind: Any, *exc: Any) -> None:
        self.close(finished=kind is None)


__all__ = ["Engine", "Outputs", "People", "Run", "set_fact"]
