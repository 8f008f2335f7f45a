"""Who may see what (domain.md), applied before anything is shown.

An audience's view of a person is computed only from the facts that
audience may see: facts hidden from it are masked (as if unknown, or false
for ``wellbeing_concern``), and history entries of interventions it may not
see (a wellbeing referral, for a manager) are left out, BEFORE the rules run. So nothing the audience
sees, not the list, its order, the cap or an explanation, can depend on a
hidden fact: two people who differ only in hidden facts look the same.
Interventions the audience may not see are then left out, and any hidden
fact inside what remains is shown as withheld.
"""

from __future__ import annotations

from typing import Any, Optional

import attrs

from .catalog import Catalog
from .errors import UnknownIdError, did_you_mean
from .facts import PERSON_FACTS
from .model import Audience, Evidence, Person, Recommendation

AUDIENCES = tuple(a.value for a in Audience)
NOT_AVAILABLE = "not available to this audience"
WITHHELD = "withheld"
# the rule a withheld fact drove (hidden or unquoted), as that audience reads it ("from the talent review")
TALENT_REVIEW = "talent-review"


def check_audience(audience: str) -> str:
    if audience not in AUDIENCES:
        raise UnknownIdError(f"unknown audience '{audience}'{did_you_mean(audience, AUDIENCES)}; "
                             f"expected one of {', '.join(AUDIENCES)}")
    return audience


def hidden_facts(audience: str) -> frozenset[str]:
    """Fact paths this audience may not see."""
    return frozenset(path for path, spec in PERSON_FACTS.items() if audience in spec.hidden_from)


def unquoted_facts(audience: str) -> frozenset[str]:
    """Fact paths that may drive what this audience is offered but are never named to it."""
    return frozenset(path for path, spec in PERSON_FACTS.items() if audience in spec.unquoted_for)


def withheld_facts(audience: str) -> frozenset[str]:
    """Fact paths never shown to this audience: the hidden ones and the unquoted ones."""
    return hidden_facts(audience) | unquoted_facts(audience)


_default_catalog: list[Catalog] = []


def default_catalog() -> Catalog:
    """The built-in catalog (read once): who may see each built-in intervention."""
    if not _default_catalog:
        from .packs import load_packs, resolve_paths
        _default_catalog.append(load_packs(resolve_paths(None)).catalog)
    return _default_catalog[0]


_hidden_cache: dict[tuple[int, str], tuple[Catalog, int, frozenset[str]]] = {}


def hidden_interventions(catalog: Catalog, audience: str) -> frozenset[str]:
    """Interventions of ``catalog`` this audience may not see by name (domain.md)."""
    key = (id(catalog), audience)
    kept = _hidden_cache.get(key)
    if kept is not None and kept[0] is catalog and kept[1] == len(catalog):
        return kept[2]
    found = frozenset(i.id for i in catalog if audience not in i.audiences)
    if len(_hidden_cache) > 256:
        _hidden_cache.clear()
    _hidden_cache[key] = (catalog, len(catalog), found)
    return found


def masked(person: Person, audience: str, catalog: Optional[Catalog] = None) -> Person:
    """The person as this audience may know them: hidden facts unknown (false for booleans),
    and history without the interventions the audience may not see (``catalog``: the
    engine's; None: the built-in one). A wellbeing referral in a person's history (or
    merged in from the store) is health data: a manager's or an executive's view is made as
    if it were not there, so it cannot start or stop a cooldown, count as development or
    be quoted as evidence. Entries of interventions the catalog does not know are kept."""
    changes: dict[str, Any] = {}
    for path in hidden_facts(audience):
        if "." in path:
            continue
        changes[path] = False if PERSON_FACTS[path].kind == "bool" else None
    if person.history:
        unseen = hidden_interventions(default_catalog() if catalog is None else catalog, audience)
        if unseen and any(h.intervention in unseen for h in person.history):
            changes["history"] = tuple(h for h in person.history if h.intervention not in unseen)
    return attrs.evolve(person, **changes) if changes else person


def visible(catalog: Catalog, intervention: str, audience: str) -> bool:
    return intervention in catalog and catalog.visible_to(intervention, audience)


def _withheld(e: Evidence, rule: str, withheld: bool) -> Evidence:
    """Evidence under the rule name the audience reads, its fact withheld when it may not see it."""
    if withheld:
        return attrs.evolve(e, rule=rule, fact=WITHHELD, test=WITHHELD, actual=WITHHELD, held=None)
    return attrs.evolve(e, rule=rule)


def released_only(catalog: Catalog, audience: str) -> frozenset[str]:
    """Interventions ``audience`` sees only once a reviewer released them (catalog ``released_to``)."""
    return frozenset(i.id for i in catalog if audience in i.released_to and audience not in i.audiences)


# all that an audience is told of the reasons of an item it sees only because it was released
FROM_REVIEW = (Evidence(TALENT_REVIEW, WITHHELD, WITHHELD, WITHHELD, None),)


def from_review(rec: Recommendation) -> Recommendation:
    """A released item (``released_only``) as its audience sees it: the reasons are HR's and the
    manager's, so the rules are named as the talent review and the evidence is withheld whole (not
    even how many conditions held, which would tell one rule from another), and the priority,
    which would too, is 0."""
    return attrs.evolve(rec, rules=(TALENT_REVIEW,), evidence=FROM_REVIEW, priority=0)


def redact(rec: Recommendation, audience: str, catalog: Catalog) -> Optional[Recommendation]:
    """The recommendation as the audience may see it, or None when it may not see it at all."""
    if not visible(catalog, rec.intervention, audience):
        return None
    if rec.wording or audience == "employee":     # the rationale in the audience's own words
        rec = attrs.evolve(rec, rationale=rec.rationale_for(audience), wording=())
    withheld = withheld_facts(audience)
    if not any(e.fact in withheld for e in rec.evidence):
        return rec
    review = {e.rule for e in rec.evidence if e.fact in withheld}   # named as the talent review
    evidence = tuple(_withheld(e, TALENT_REVIEW if e.rule in review else e.rule, e.fact in withheld)
                     if e.fact in withheld or e.rule in review else e for e in rec.evidence)
    rules = tuple(dict.fromkeys(TALENT_REVIEW if r in review else r for r in rec.rules))
    # the priority is a rule's: it would tell which rule of the talent review it was (the order
    # of the list was set before, and stays)
    return attrs.evolve(rec, evidence=evidence, rules=rules, priority=0)
