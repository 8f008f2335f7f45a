"""Team and organization facts, computed from people in one pass.

A team is a manager and their direct reports (``manager_id``). The facts
are those of ``facts.TEAM_FACTS`` and ``facts.ORG_FACTS``; rules with
``scope: team`` or ``scope: organization`` test them.

Definitions (documented in docs/facts.md):
- developing: history shows an intervention accepted or completed within
  the last DEVELOPING_MONTHS months; "not developing" is known only for a
  history complete over those months (``history_complete``, ``history_since``);
- a share of people (e.g. ``share_ic_developing``) is unknown (None) when it
  cannot be computed: no one to count, or someone whose answer is unknown,
  so an organization rule on it does not fire instead of reading 0%;
- graduate waiting: pipeline status graduate on the individual contributor
  track (no leadership seat yet);
- stagnant leader: manager track, STAGNANT_MONTHS or more months in role,
  engagement low;
- flight-risk hotspot: a manager with HOTSPOT_REPORTS or more direct
  reports at high flight risk.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Iterable, Optional

import attrs

from .facts import months_between
from .model import Outcome, Person, PipelineStatus, Rating, Track

DEVELOPING_MONTHS = 12
STAGNANT_MONTHS = 60
HOTSPOT_REPORTS = 3
SENIOR_IC_LEVEL = 4


def is_developing(person: Person, as_of: dt.date) -> Optional[bool]:
    """True, False, or None when the history does not tell (not complete over the months)."""
    if any(h.outcome in (Outcome.ACCEPTED, Outcome.COMPLETED)
           and months_between(h.date, as_of) <= DEVELOPING_MONTHS for h in person.history):
        return True
    covered = person.history_complete and (
        person.history_since is None or months_between(person.history_since, as_of) >= DEVELOPING_MONTHS)
    return False if covered else None


def _share(count: int, total: int, unknown: int) -> Optional[float]:
    """count / total, or None when there is no one to count or some answers are unknown."""
    return round(count / total, 4) if total and not unknown else None


def is_waiting_graduate(person: Person) -> bool:
    return (person.pipeline is not None and person.pipeline.status == PipelineStatus.GRADUATE
            and person.track != Track.MANAGER)


def is_stagnant_leader(person: Person) -> bool:
    return (person.track == Track.MANAGER and (person.months_in_role or 0) >= STAGNANT_MONTHS
            and person.engagement == Rating.LOW)


@attrs.define
class _Team:
    reports: int = 0
    ic_reports: int = 0
    high_flight_risk_reports: int = 0
    low_engagement_reports: int = 0
    high_potential_ics: int = 0
    graduates_waiting: int = 0
    ics_developing: int = 0
    ics_developing_unknown: int = 0


class OrgFacts:
    """Collects team and organization facts as people go by (``add``)."""

    def __init__(self, as_of: dt.date, open_leadership_positions: int = 0):
        self.as_of = as_of
        self.open_leadership_positions = open_leadership_positions
        self.teams: dict[str, _Team] = defaultdict(_Team)
        self.managers: dict[str, Person] = {}
        self.counts: dict[str, int] = defaultdict(int)
        self.graduate_months: list[int] = []

    def add(self, person: Person) -> None:
        c = self.counts
        c["headcount"] += 1
        ic = person.track != Track.MANAGER
        if person.track == Track.MANAGER:
            c["managers"] += 1
            self.managers[person.id] = person
            c["stagnant_leaders"] += is_stagnant_leader(person)
        if person.track == Track.INDIVIDUAL_CONTRIBUTOR:
            c["ics"] += 1
            c["high_potential_ics"] += person.potential == Rating.HIGH
            c["senior_ics"] += (person.level or 0) >= SENIOR_IC_LEVEL
            c["ics_technical"] += person.aspiration is not None and person.aspiration.value == "technical"
            c["ics_aspiration_unknown"] += person.aspiration is None
            developing = is_developing(person, self.as_of)
            c["ics_developing"] += developing is True
            c["ics_developing_unknown"] += developing is None
        waiting = is_waiting_graduate(person)
        if waiting:
            c["graduates_waiting"] += 1
            self.graduate_months.append(person.pipeline.months_waiting or 0)
        if person.manager_id:
            t = self.teams[person.manager_id]
            t.reports += 1
            t.high_flight_risk_reports += person.flight_risk == Rating.HIGH
            t.low_engagement_reports += person.engagement == Rating.LOW
            t.graduates_waiting += waiting
            if ic and person.track is not None:
                t.ic_reports += 1
                t.high_potential_ics += person.potential == Rating.HIGH
                developing = is_developing(person, self.as_of)
                t.ics_developing += developing is True
                t.ics_developing_unknown += developing is None

    def team_facts(self) -> dict[str, dict]:
        """Facts per manager id (managers with at least one report), in id order."""
        out = {}
        for manager_id in sorted(self.teams):
            t = self.teams[manager_id]
            manager = self.managers.get(manager_id)
            facts = {"manager_id": manager_id, "reports": t.reports, "ic_reports": t.ic_reports,
                     "high_flight_risk_reports": t.high_flight_risk_reports,
                     "low_engagement_reports": t.low_engagement_reports,
                     "share_low_engagement": round(t.low_engagement_reports / t.reports, 4),
                     "high_potential_ics": t.high_potential_ics, "graduates_waiting": t.graduates_waiting,
                     "share_ic_developing": _share(t.ics_developing, t.ic_reports, t.ics_developing_unknown),
                     "manager_months_in_role": manager.months_in_role if manager else None,
                     "manager_engagement": manager.engagement.value if manager and manager.engagement else None}
            out[manager_id] = facts
        return out

    def organization_facts(self) -> dict:
        c = self.counts
        hotspots = sum(1 for t in self.teams.values() if t.high_flight_risk_reports >= HOTSPOT_REPORTS)
        return {
            "headcount": c["headcount"], "ics": c["ics"], "managers": c["managers"],
            "high_potential_ics": c["high_potential_ics"], "senior_ics": c["senior_ics"],
            "share_ic_technical_aspiration": _share(c["ics_technical"], c["ics"], c["ics_aspiration_unknown"]),
            "share_ic_developing": _share(c["ics_developing"], c["ics"], c["ics_developing_unknown"]),
            "graduates_waiting": c["graduates_waiting"],
            "graduates_waiting_max_months": max(self.graduate_months, default=0),
            "open_leadership_positions": self.open_leadership_positions,
            "stagnant_leaders": c["stagnant_leaders"], "flight_risk_hotspots": hotspots,
        }


def compute(people: Iterable[Person], as_of: dt.date, open_leadership_positions: int = 0) -> OrgFacts:
    facts = OrgFacts(as_of, open_leadership_positions)
    for p in people:
        facts.add(p)
    return facts


__all__ = ["OrgFacts", "compute", "is_developing", "is_stagnant_leader", "is_waiting_graduate"]
