"""Recommendation lists as text: the table ``devrecs recommend`` prints, per person and for
the organization and its teams.

What this module holds: plain-text layout of lists of Recommendations (render/explanations.py lays out
explanations). It imports the model only.
"""

from __future__ import annotations

import textwrap
from typing import Any, Mapping, Optional, Sequence

from ..model import Person, Recommendation

PROPOSAL_NOTE = ("Recommendations are proposals for a person to review with the employee, "
                 "not decisions.")


# where an item stands in review (oversight/store.py states), as HR's and managers' lists say it
NEW = "new"
REVIEW_LABELS = {NEW: "new: not proposed before", "proposed": "waiting for review",
                 "approved": "approved, not yet released", "rejected": "rejected", "released": "released",
                 "accepted": "accepted", "declined": "declined", "completed": "completed",
                 "contested": "contested"}


def review_state(r: Recommendation, states: Mapping[tuple[str, str, str], str]) -> str:
    """The item's review state from ``Store.review_states`` (``new`` when never proposed)."""
    return states.get((r.person, r.subject, r.intervention), NEW)


def rec_json(r: Recommendation, states: Optional[Mapping[tuple[str, str, str], str]] = None) -> dict:
    """One recommendation as ``recommend --format json`` shows it; with ``states`` (HR's and
    managers' views with a store) its review state as ``review``."""
    d = r.to_dict()
    out = {k: d[k] for k in ("intervention", "subject", "rules", "priority", "rationale", "evidence")}
    if states is not None:
        out["review"] = review_state(r, states)
    return out


def people_table(results: Sequence[tuple[Person, Sequence[Recommendation]]], width: int = 100,
                 states: Optional[Mapping[tuple[str, str, str], str]] = None, priorities: bool = True) -> str:
    """Each person's items; with ``states`` (HR's and managers' views with a store) each item's
    review state beside it; ``priorities=False`` (the employee's list) leaves out the priority
    numbers, the engine's ranking, which the employee reads as the order of the list."""
    lines = []
    for person, recs in results:
        head = person.id + (f"  {person.name}" if person.name else "")
        lines.append(head)
        if not recs:
            lines.append("    (no recommendation)")
        for n, r in enumerate(recs, 1):
            who = "" if r.subject == person.id else f"  [for manager {r.subject}]"
            state = "" if states is None else review_state(r, states)
            review = f"  [{REVIEW_LABELS.get(state, state)}]" if state else ""
            rank = f" ({r.priority})" if priorities else ""
            lines.append(f"  {n}. {r.intervention}{rank}{who}{review}")
            why = " ".join(r.rationale) or r.title
            lines.extend(textwrap.wrap(why, width, initial_indent="       ", subsequent_indent="       "))
        lines.append("")
    lines.append(PROPOSAL_NOTE)
    return "\n".join(lines)


def organization_table(result: Any) -> str:
    """The organization's and the teams' recommendations, with the facts they come from."""
    f = result.organization_facts
    share = f.get("share_ic_developing")
    story = f"{f['headcount']} people: {f['ics']} individual contributors, {f['managers']} managers."
    if share is not None:
        story += (f" {share:.0%} of individual contributors had development in the last year (seed 001: "
                  f"only 22% of organisations have a formal programme for them).")
    elif f["ics"]:
        story += (" How many individual contributors had development in the last year cannot be told: "
                  "not every history is declared complete (history_complete).")
    story += (f" {f['graduates_waiting']} pipeline graduates wait for a seat (longest "
              f"{f['graduates_waiting_max_months']} months); {f['open_leadership_positions']} open "
              f"leadership positions; {f['stagnant_leaders']} leaders long in role with low engagement.")
    lines = ["ORGANIZATION", ""] + textwrap.wrap(story, 96, initial_indent="  ", subsequent_indent="  ")
    lines.append("")
    for n, r in enumerate(result.organization, 1):
        lines.append(f"  {n}. {r.intervention} ({r.priority})")
        lines.extend(textwrap.wrap(" ".join(r.rationale) or r.title, 96, initial_indent="       ",
                                   subsequent_indent="       "))
    lines += ["", "TEAMS", ""]
    teams = [(m, recs) for m, recs in result.teams.items() if recs]
    if not teams:
        lines.append("  (no team recommendation)")
    for manager, recs in teams:
        facts = result.team_facts[manager]
        lines.append(f"  manager {manager}: {facts['reports']} reports, {facts['high_flight_risk_reports']} at "
                     f"high flight risk, {facts['low_engagement_reports']} with low engagement")
        for r in recs:
            lines.append(f"    - {r.intervention} ({r.priority})")
    lines += ["", "PEOPLE", ""]
    return "\n".join(lines)


__all__ = ["PROPOSAL_NOTE", "REVIEW_LABELS", "organization_table", "people_table", "rec_json", "review_state"]
