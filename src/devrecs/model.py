"""The models: facts about people, interventions, rules and recommendations.

Enum values are spelled exactly as in the domain contract (domain.md).
Models are frozen; parsing and validation of raw records live in
``people.py``, never here.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Any, Mapping, Optional

import attrs


class Track(str, enum.Enum):
    INDIVIDUAL_CONTRIBUTOR = "individual_contributor"
    MANAGER = "manager"


class Rating(str, enum.Enum):
    """A three-step scale, used for performance, potential, engagement,
    flight risk and gap severity. Ordered: low < medium < high."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class CareerStage(str, enum.Enum):
    EARLY = "early"
    MID = "mid"
    SENIOR = "senior"


class Aspiration(str, enum.Enum):
    TECHNICAL = "technical"
    MANAGEMENT = "management"
    UNDECIDED = "undecided"


class LeadershipMotive(str, enum.Enum):
    SERVICE = "service"
    POWER = "power"
    UNKNOWN = "unknown"


class PerformancePlan(str, enum.Enum):
    NONE = "none"
    INFORMAL = "informal"
    PIP = "pip"


class PipelineStatus(str, enum.Enum):
    NONE = "none"
    PARTICIPANT = "participant"
    GRADUATE = "graduate"


class Outcome(str, enum.Enum):
    RECOMMENDED = "recommended"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    COMPLETED = "completed"


class Audience(str, enum.Enum):
    EMPLOYEE = "employee"
    MANAGER = "manager"
    HR = "hr"
    EXECUTIVE = "executive"


@attrs.frozen
class Gap:
    skill: str
    severity: Rating
    source: Optional[str] = None


@attrs.frozen
class HistoryEntry:
    intervention: str
    date: dt.date
    outcome: Outcome


@attrs.frozen
class Pipeline:
    status: PipelineStatus = PipelineStatus.NONE
    months_waiting: Optional[int] = None


# The 9-box cell named by (performance, potential). "deep_pro" is the
# high-performance, low-potential expert of seed 000.
NINE_BOX = {
    ("high", "high"): "star",
    ("high", "medium"): "high_performer",
    ("high", "low"): "deep_pro",
    ("medium", "high"): "high_potential",
    ("medium", "medium"): "core_player",
    ("medium", "low"): "solid_contributor",
    ("low", "high"): "rough_diamond",
    ("low", "medium"): "inconsistent_player",
    ("low", "low"): "underperformer",
}


@attrs.frozen
class Person:
    """One person's facts (domain.md). Optional facts are None when unknown."""

    id: str
    name: Optional[str] = None
    track: Optional[Track] = None
    level: Optional[int] = None
    career_stage: Optional[CareerStage] = None
    performance: Optional[Rating] = None
    potential: Optional[Rating] = None
    aspiration: Optional[Aspiration] = None
    leadership_motive: Optional[LeadershipMotive] = None
    gaps: tuple[Gap, ...] = ()
    interests: tuple[str, ...] = ()
    engagement: Optional[Rating] = None
    flight_risk: Optional[Rating] = None
    performance_plan: Optional[PerformancePlan] = None
    wellbeing_concern: bool = False
    months_in_role: Optional[int] = None
    months_since_promotion: Optional[int] = None
    tenure_years: Optional[float] = None
    compa_ratio: Optional[float] = None
    pipeline: Optional[Pipeline] = None
    manager_id: Optional[str] = None
    history: tuple[HistoryEntry, ...] = ()
    # whether ``history`` holds every development the person had (since
    # ``history_since``, when given): only then does "no entry" mean none
    history_complete: bool = False
    history_since: Optional[dt.date] = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def nine_box(self) -> Optional[str]:
        """The 9-box cell from performance and potential, or None when either is unknown."""
        if self.performance is None or self.potential is None:
            return None
        return NINE_BOX[(self.performance.value, self.potential.value)]


@attrs.frozen
class Intervention:
    """A catalog entry: something a person, manager or organization can be offered."""

    id: str
    title: str
    description: str
    kind: str
    subject: str
    audiences: tuple[str, ...]
    seeds: tuple[str, ...] = ()
    cooldown_months: int = 12
    purpose: str = "opportunity"
    # Who takes the first step (employee, manager, hr), what it is, and how long it usually takes.
    who_acts: tuple[str, ...] = ()
    first_step: str = ""
    timeframe: str = ""
    # The description in an audience's own words: (audience, text) pairs; others read ``description``.
    wording: tuple[tuple[str, str], ...] = ()
    # Audiences that see it once a reviewer released it (review before release; domain.md): with
    # review on, their view shows it after its release, never before; without review, never.
    released_to: tuple[str, ...] = ()

    def description_for(self, audience: str) -> str:
        """The description as ``audience`` should read it (hr and executive: the full description)."""
        for who, text in self.wording:
            if who == audience:
                return text
        return self.description

    def first_step_for(self, audience: str) -> str:
        """The first step as ``audience`` reads it. Catalogs write it of "the person" and "the
        manager"; the employee reads "you" and "your manager", the manager reads "you" and "your
        report"; hr and executives read it as written."""
        return in_own_words(self.first_step, audience)


# how the employee and the manager read a text written of "the person" and "the manager"
_OWN_WORDS = {
    "employee": (("The person's", "Your"), ("the person's", "your"), ("The person", "You"),
                 ("the person", "you"), ("The manager", "Your manager"), ("the manager", "your manager")),
    "manager": (("The manager's", "Your"), ("the manager's", "your"), ("The manager", "You"),
                ("the manager", "you"), ("The person's", "Your report's"), ("the person's", "your report's"),
                ("The person", "Your report"), ("the person", "your report")),
}


# "you" as a subject (at the start of a clause) and the verb after it
_YOU_VERB = re.compile(r"((?:^|[;.:]\s+|\band\s+)[Yy]ou) (has|is|does|\w+(?:ches|shes|sses|xes)|\w+[^s\W]s)\b")
_IRREGULAR = {"has": "have", "is": "are", "does": "do"}


def _you_verb(m: re.Match[str]) -> str:
    """"you books" -> "you book": the verb that followed "the person" or "the manager"."""
    verb = m.group(2)
    plain = _IRREGULAR.get(verb) or (verb[:-2] if verb.endswith(("ches", "shes", "sses", "xes")) else verb[:-1])
    return f"{m.group(1)} {plain}"


def in_own_words(text: str, audience: str) -> str:
    """``text`` (written of "the person" and "the manager") in the audience's own words."""
    words = _OWN_WORDS.get(audience)
    if not words:
        return text
    for old, new in words:
        text = text.replace(old, new)
    return _YOU_VERB.sub(_you_verb, text)


@attrs.frozen
class Target:
    """What a rule recommends: an intervention, to the person or their manager."""

    intervention: str
    to: str = "person"


@attrs.frozen
class Rule:
    """A compiled-ready rule. ``when`` is the condition tree (rulefile.conditions)."""

    id: str
    title: str
    when: Any
    recommend: tuple[Target, ...]
    priority: int = 50
    suppresses: tuple[str, ...] = ()
    rationale: str = ""
    source: str = ""
    file: str = ""
    line: int = 0
    ruleset: str = ""
    scope: str = "person"    # person | team (subject: the manager) | organization
    replaces: bool = False   # a plugin's rule that replaces the built-in rule with its id (packs.py)
    # Kinds of intervention (catalog ``kind``) this rule takes off the person's own list
    # while it holds, e.g. a focused plan for someone who struggles.
    suppresses_kinds: tuple[str, ...] = ()
    # The rationale in an audience's own words: (audience, text) pairs; see rationale_for.
    wording: tuple[tuple[str, str], ...] = ()
    # Governance (its own, else its pack's): who answers for it, who approved it, and the days
    # it is in effect, both included (None: no bound). Out of effect on the run's as-of date,
    # it does not fire.
    owner: str = ""
    approved_by: str = ""
    effective_from: Optional[dt.date] = None
    effective_until: Optional[dt.date] = None

    def in_effect(self, day: dt.date) -> bool:
        """Whether the rule applies on ``day`` (its effective dates, both included)."""
        return ((self.effective_from is None or self.effective_from <= day)
                and (self.effective_until is None or day <= self.effective_until))

    def rationale_for(self, audience: str) -> str:
        """The rationale as ``audience`` should read it (see ``audience_rationale``)."""
        return audience_rationale(self.wording, (self.rationale,) if self.rationale else (), audience)[0]


@attrs.frozen
class Evidence:
    """One leaf condition of a rule that fired, with the person's actual value."""

    rule: str
    fact: str
    test: str
    actual: Any
    held: Optional[bool] = True   # None when the fact is withheld from the audience

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "fact": self.fact, "test": self.test,
                "actual": plain(self.actual), "held": self.held}


@attrs.frozen
class Recommendation:
    """One intervention recommended for a subject, with the rules and evidence behind it."""

    intervention: str
    title: str
    subject: str
    person: str
    rules: tuple[str, ...]
    priority: int
    rationale: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    ruleset_hash: str = ""
    # The rationales in each audience's own words, (audience, text) pairs of its rules (not in to_dict:
    # audience.redact puts the audience's own in ``rationale`` and drops the rest).
    wording: tuple[tuple[str, str], ...] = ()

    def rationale_for(self, audience: str) -> tuple[str, ...]:
        return audience_rationale(self.wording, self.rationale, audience)

    def to_dict(self) -> dict[str, Any]:
        return {
            "intervention": self.intervention,
            "title": self.title,
            "subject": self.subject,
            "person": self.person,
            "rules": list(self.rules),
            "priority": self.priority,
            "rationale": list(self.rationale),
            "evidence": [e.to_dict() for e in self.evidence],
            "ruleset_hash": self.ruleset_hash,
        }


for _cls in (Gap, HistoryEntry, Pipeline, Person, Intervention, Target, Rule, Evidence, Recommendation):
    attrs.resolve_types(_cls)


# What an employee reads when a rule has no wording of its own: the full rationale may name facts
# the employee is not quoted (domain.md: potential, flight risk, motive, pay ratio, engagement).
EMPLOYEE_FALLBACK = ("This was suggested in your development review; your manager or HR will talk it "
                     "through with you.")


def audience_rationale(wording: tuple[tuple[str, str], ...], full: tuple[str, ...],
                       audience: str) -> tuple[str, ...]:
    """The rationale texts for an audience: its own wording where the rules give one (for the
    employee and the manager only the leading rule's, to keep it short), else for the employee a
    neutral sentence and for everyone else the full text."""
    own = tuple(dict.fromkeys(text for who, text in wording if who == audience))
    if own:
        return own[:1] if audience in ("employee", "manager") else own
    if audience == "employee":
        return (EMPLOYEE_FALLBACK,)
    return full or ("",)


def plain(value: Any) -> Any:
    """A JSON-friendly copy of a fact value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if attrs.has(type(value)):
        return {f.name: plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    return value
