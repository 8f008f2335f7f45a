"""Who may see what (domain.md), applied before anything is shown.

An audience's view of a person is computed only from the facts that
audience may see: facts hidden from it are masked (as if unknown, or false
for ``wellbeing_concern``) BEFORE the rules run. So nothing the audience
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
from .model import Audience, Person, Recommendation

AUDIENCES = tuple(a.value for a in Audience)
NOT_AVAILABLE = "not available to this audience"
WITHHELD = "withheld"


def check_audience(audience: str) -> str:
    if audience not in AUDIENCES:
        raise UnknownIdError(f"unknown audience '{audience}'{did_you_mean(audience, AUDIENCES)}; "
                             f"expected one of {', '.join(AUDIENCES)}")
    return audience


def hidden_facts(audience: str) -> frozenset[str]:
    """Fact paths this audience may not see."""
    return frozenset(path for path, spec in PERSON_FACTS.items() if audience in spec.hidden_from)


def masked(person: Person, audience: str) -> Person:
    """The person as this audience may know them: hidden facts unknown (false for booleans)."""
    changes: dict[str, Any] = {}
    for path in hidden_facts(audience):
        if "." in path:
            continue
        changes[path] = False if PERSON_FACTS[path].kind == "bool" else None
    return attrs.evolve(person, **changes) if changes else person


def visible(catalog: Catalog, intervention: str, audience: str) -> bool:
    return intervention in catalog and catalog.visible_to(intervention, audience)


def redact(rec: Recommendation, audience: str, catalog: Catalog) -> Optional[Recommendation]:
    """The recommendation as the audience may see it, or None when it may not see it at all."""
    if not visible(catalog, rec.intervention, audience):
        return None
    if rec.wording or audience == "employee":     # the rationale in the audience's own words
        rec = attrs.evolve(rec, rationale=rec.rationale_for(audience), wording=())
    hidden = hidden_facts(audience)
    if not any(e.fact in hidden for e in rec.evidence):
        return rec
    evidence = tuple(attrs.evolve(e, fact=WITHHELD, test=WITHHELD, actual=WITHHELD, held=None)
                     if e.fact in hidden else e for e in rec.evidence)
    return attrs.evolve(rec, evidence=evidence)
