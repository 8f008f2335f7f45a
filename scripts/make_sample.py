#!/usr/bin/env python3
"""Generate the synthetic sample organization shipped as devrecs package data.

Usage (from the repository root)::

    python scripts/make_sample.py                 # writes src/devrecs/data/sample.yaml
    python scripts/make_sample.py --out PATH      # write somewhere else ("-" for stdout)
    python scripts/make_sample.py --size N        # N people (default 200, at least 60)

The generator is seeded (``SEED``), so running it twice gives byte-identical
output. It needs only the standard library and PyYAML.

"Northwind Labs (synthetic)" is entirely made up: names are invented, and
every fact is drawn from plausible distributions, then a few patterns are
planted on purpose so that every default rule has someone to fire on:

* one person per row of the persona table in ``domain.md``, with fixed ids
  ``persona-*`` and ``extra.persona`` naming the row;
* about 5% on a PIP, about 4% with a wellbeing concern, about 10% at high
  flight risk, clustered under a few managers (three or more each);
* a handful of leadership-pipeline graduates waiting 6 to 24 months;
* a few managers recently promoted from individual contributor, with low
  engagement and a technical aspiration;
* a few managers long in role (more than 60 months) with low engagement;
* well under a quarter of individual contributors with any development
  history in the last 12 months; every record declares its history complete
  (``history_complete: true``), so "no development" is known, not guessed.

Organization-specific facts (department, location) sit under ``extra``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import operator
import random
import sys
from pathlib import Path

import yaml

SEED = 20260630
AS_OF = dt.date(2026, 6, 30)
ORGANIZATION = "Northwind Labs (synthetic)"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "src" / "devrecs" / "data" / "sample.yaml"
MIN_SIZE = 60
DAYS_PER_MONTH = 365.25 / 12

# --------------------------------------------------------------------------
# Vocabulary

SKILLS = [
    "communication", "strategic_thinking", "conflict", "change", "ambiguity", "vision",
    "senior_leadership_connection", "influencing", "presenting", "negotiation",
    "project_management", "time_management", "new_technology",
]
IC_SKILL_WEIGHTS = {
    "communication": 3, "presenting": 2, "influencing": 2, "project_management": 2,
    "time_management": 1.5, "new_technology": 2.5, "strategic_thinking": 1, "negotiation": 1,
    "ambiguity": 1, "conflict": 1, "change": 0.5, "vision": 0.5, "senior_leadership_connection": 0.5,
}
MANAGER_SKILL_WEIGHTS = {
    "conflict": 2, "change": 2, "strategic_thinking": 2, "vision": 1.5,
    "senior_leadership_connection": 1.5, "communication": 1.5, "ambiguity": 1.5, "influencing": 1,
    "negotiation": 1, "time_management": 1, "project_management": 0.5, "presenting": 0.5,
    "new_technology": 0.5,
}
GAP_SOURCES = ["talent review 2026", "manager assessment", "360 feedback", "self-assessment"]

IC_INTERVENTIONS = [
    "mentoring", "new-technology-learning", "certification-funding", "conference-attendance",
    "further-education", "learning-time", "communication-skills", "project-management-skills",
    "speaking-opportunity", "professional-association", "internal-technical-forum",
    "career-conversation", "industry-publication-subscription", "influencing-skills",
]
SENIOR_IC_INTERVENTIONS = ["mentor-others", "subject-matter-ownership", "project-lead-role",
                           "cross-industry-network"]
MANAGER_INTERVENTIONS = [
    "new-manager-training", "coaching-conversations-training", "strategic-thinking",
    "influencing-skills", "communication-skills", "mentor-others", "conference-attendance",
    "further-education", "coaching",
]

GENERAL_INTERESTS = [
    "public speaking", "mentoring", "writing", "negotiation", "people leadership",
    "sustainability", "accessibility", "behavioural economics", "facilitation",
    "conferences", "networking", "travel", "MBA", "certification", "volunteering",
    "industry news", "research", "projects",
]

# name, weight, locations, team names, interests
DEPARTMENTS = [
    ("Engineering", 28, ["Lisbon", "Toronto", "Remote"],
     ["Platform", "Payments", "Mobile", "Reliability", "Developer Tools", "Search"],
     ["distributed systems", "Rust", "cloud infrastructure", "security", "compilers",
      "site reliability", "machine learning", "storage engines"]),
    ("Product & Design", 15, ["Lisbon", "Remote"],
     ["Core Product", "Growth", "Design Systems", "Research"],
     ["UX research", "product strategy", "design systems", "service design", "pricing"]),
    ("Data & Analytics", 15, ["Toronto", "Nairobi"],
     ["Analytics Engineering", "Data Science", "Insights"],
     ["machine learning", "causal inference", "data visualisation", "statistics",
      "data engineering"]),
    ("Operations", 15, ["Nairobi", "Singapore"],
     ["Fulfilment", "Supply Planning", "Quality"],
     ["supply chain analytics", "lean methods", "process automation", "vendor management"]),
    ("Sales & Partnerships", 16, ["Singapore", "Austin", "Toronto"],
     ["Enterprise Sales", "Partnerships", "Customer Success"],
     ["negotiation", "solution selling", "customer research", "partnership design"]),
    ("People & Finance", 11, ["Lisbon", "Austin"],
     ["People Operations", "Finance"],
     ["workforce analytics", "employment law", "financial modelling", "compensation design"]),
]

FIRST_NAMES = [
    "Amara", "Bao", "Camila", "Dmitri", "Esi", "Farid", "Greta", "Hiroshi", "Ines", "Jamal",
    "Kavya", "Luca", "Mariam", "Nikolai", "Oluwaseun", "Paloma", "Quentin", "Rania", "Soren",
    "Tariq", "Uma", "Valentina", "Wen", "Xochitl", "Yusuf", "Zainab", "Ade", "Birgit", "Chen",
    "Dalia", "Emeka", "Freya", "Gabriel", "Hana", "Ilya", "Joana", "Kofi", "Leilani", "Mateo",
    "Noor", "Oskar", "Priya", "Rafael", "Sione", "Thandiwe", "Ulla", "Vikram", "Wiremu",
    "Yara", "Zoltan", "Aiyana", "Bongani", "Carmen", "Deniz", "Elif", "Femi", "Gulnara",
    "Henrik", "Ivana", "Jun", "Kalani", "Lars", "Malik", "Nadia", "Omar", "Pita", "Rosa",
    "Sanjay", "Tomas", "Ayesha", "Marisol", "Kenji", "Ngozi", "Anika", "Diego", "Lena",
    "Mohammed", "Sakura", "Tevita", "Asel",
]
# Invented surnames: plainly fictional, so nobody is mistaken for a real person.
SURNAMES = [
    "Quillfeather", "Brightwater", "Alderhollow", "Stonebrook", "Vandermoss", "Okafor-Lune",
    "Marrowdale", "Tansyfield", "Kestrelby", "Oakenshore", "Pennywhistle", "Rivenmark",
    "Sablethorn", "Thistlewood", "Umberfell", "Wrenhaven", "Yarrowmere", "Zephyrine",
    "Ashgrove", "Bellwether", "Cinderpath", "Dunmorrow", "Emberlane", "Fernsby", "Glimmerton",
    "Hollowmere", "Ironvale", "Juniperwick", "Kettlewell", "Larkspire", "Moonfield",
    "Nettlecombe", "Orchardine", "Pebbleton", "Quarrystone", "Rushbrook", "Saltmarsh",
    "Tidewell", "Vellacourt", "Willowby", "Amberlight", "Briarwood", "Copperfinch",
    "Driftwood", "Elderglen", "Foxmantle", "Greywillow", "Heathercombe", "Inkwater",
    "Jasperine", "Kindlewick", "Lanternby", "Mistral-Oyo", "Northcairn", "Oriole-Sato",
    "Puddlestone", "Ravensong", "Silverbirch", "Tanglewood", "Windermoss",
]

# The persona table of domain.md, one person per row.
PERSONAS = {
    "persona-deep-expert": "deep expert: IC, high performance, low potential, technical aspiration",
    "persona-early-career": "early-career IC, high performance",
    "persona-senior-flight-risk": "senior IC, high performance, high flight risk, pay 15% under market",
    "persona-regretful-manager": "manager 6 months in role, low engagement, technical aspiration",
    "persona-pip": "low performer on a PIP with a time-management gap",
    "persona-wellbeing": "person with a wellbeing concern",
    "persona-waiting-graduate": "pipeline graduate waiting 18 months, no open seat",
    "persona-power-motive": "wants to manage, motive power",
    "persona-flight-risk-manager": "manager with several high-flight-risk reports",
}


# --------------------------------------------------------------------------
# Helpers

def pick(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]


def months_ago(months: float) -> dt.date:
    return AS_OF - dt.timedelta(days=int(round(months * DAYS_PER_MONTH)))


def apportion(total: int, weights: list[float]) -> list[int]:
    """Split total by weights (largest remainder)."""
    # Added left to right, not with sum(): from Python 3.12 sum() compensates float
    # rounding, which breaks a tie between teams the other way and changes the sample.
    s = functools.reduce(operator.add, weights)
    raw = [total * w / s for w in weights]
    out = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


# --------------------------------------------------------------------------
# Structure: who reports to whom

def build_structure(rng: random.Random, size: int) -> list[dict]:
    """Slots in output order: executive, then per department the head, the
    head's direct individual contributors, then each team lead and team."""
    slots: list[dict] = [{"role": "exec", "dept": None, "team": None, "manager": None}]
    sizes = apportion(size - 1, [d[1] for d in DEPARTMENTS])
    for d_index, (dname, _w, _locs, team_names, _int) in enumerate(DEPARTMENTS):
        n = sizes[d_index]
        n_teams = max(1, min(len(team_names), round((n - 1) / 10)))
        n_ics = n - 1 - n_teams
        head = len(slots)
        slots.append({"role": "head", "dept": d_index, "team": None, "manager": 0})
        n_direct = 2 if n_ics >= 12 else 0   # staff-level ICs reporting to the head
        team_sizes = apportion(n_ics - n_direct, [1.0 + 0.15 * ((t * 7) % 5) for t in range(n_teams)])
        for _ in range(n_direct):
            slots.append({"role": "ic", "dept": d_index, "team": None, "manager": head})
        for t in range(n_teams):
            lead = len(slots)
            slots.append({"role": "lead", "dept": d_index, "team": team_names[t], "manager": head})
            for _ in range(team_sizes[t]):
                slots.append({"role": "ic", "dept": d_index, "team": team_names[t], "manager": lead})
    assert len(slots) == size
    return slots


# --------------------------------------------------------------------------
# Baseline facts

def tenure_for(rng: random.Random, role: str) -> float:
    if role == "exec":
        return round(rng.uniform(12, 20), 1)
    if role == "head":
        return round(rng.uniform(8, 20), 1)
    if role == "lead":
        return round(rng.uniform(4, 15), 1)
    band = pick(rng, {"early": 35, "mid": 45, "senior": 20})
    lo, hi = {"early": (0.3, 2.9), "mid": (3.0, 9.9), "senior": (10.0, 22.0)}[band]
    return round(rng.uniform(lo, hi), 1)


def level_for(rng: random.Random, role: str, tenure: float) -> int:
    if role == "exec":
        return 9
    if role == "head":
        return rng.choice([7, 8])
    if role == "lead":
        return rng.choice([5, 5, 6])
    if tenure < 3:
        return rng.choice([1, 1, 2])
    if tenure < 10:
        return rng.choice([2, 3, 3, 4])
    return rng.choice([4, 5, 5, 6])


def role_months(rng: random.Random, tenure: float, lo: int = 2, hi: int = 84) -> tuple[int, int]:
    """months_in_role and months_since_promotion, both within tenure."""
    tm = max(1, int(tenure * 12))
    hi = max(min(hi, tm), 1)
    lo = min(lo, hi)
    in_role = int(round(rng.triangular(lo, hi, min(hi, max(lo, 14)))))
    r = rng.random()
    if r < 0.5:
        since = in_role                                  # promoted into this role
    elif r < 0.8:
        since = rng.randint(min(3, in_role), in_role)    # promoted within the role
    else:
        since = rng.randint(in_role, tm)                 # lateral move into the role
    return in_role, since


def gaps_for(rng: random.Random, manager: bool) -> list[dict]:
    n = pick(rng, {0: 30, 1: 40, 2: 22, 3: 8})
    weights = dict(MANAGER_SKILL_WEIGHTS if manager else IC_SKILL_WEIGHTS)
    out = []
    for _ in range(n):
        skill = pick(rng, weights)
        del weights[skill]
        out.append({"skill": skill, "severity": pick(rng, {"low": 40, "medium": 45, "high": 15}),
                    "source": rng.choice(GAP_SOURCES)})
    return out


def interests_for(rng: random.Random, dept: int | None) -> list[str]:
    pool = list(DEPARTMENTS[dept][4]) if dept is not None else ["corporate strategy", "board governance"]
    n = pick(rng, {1: 40, 2: 45, 3: 15})
    out = rng.sample(pool, min(n, len(pool)))
    if rng.random() < 0.45:
        g = rng.choice(GENERAL_INTERESTS)
        if g not in out:
            out.append(g)
    return out


def entry(intervention: str, date: dt.date, outcome: str) -> dict:
    return {"intervention": intervention, "date": date.isoformat(), "outcome": outcome}


def old_history(rng: random.Random, p: dict, avoid: tuple[str, ...] = ()) -> list[dict]:
    """0-3 entries dated more than 12 months ago, after the person joined."""
    tm = int(p["tenure_years"] * 12)
    if tm < 14 or rng.random() < 0.55:
        return []
    if p["track"] == "manager":
        pool = list(MANAGER_INTERVENTIONS)
    else:
        pool = list(IC_INTERVENTIONS) + (SENIOR_IC_INTERVENTIONS if p["level"] >= 4 else [])
        if p["performance"] == "high":
            pool.append("coaching")
    if p["months_in_role"] < 14:                    # new in the role: nothing about it yet
        avoid = tuple(avoid) + ("new-manager-training", "coaching-conversations-training")
    pool = [i for i in pool if i not in avoid]
    out = []
    for iv in rng.sample(pool, pick(rng, {1: 55, 2: 35, 3: 10})):
        m = rng.uniform(13, min(tm - 1, 72))
        out.append(entry(iv, months_ago(m), pick(rng, {"completed": 65, "declined": 15,
                                                       "accepted": 10, "recommended": 10})))
    return out


def recent_entry(rng: random.Random, p: dict) -> dict:
    """One entry in the last 12 months."""
    pool = list(IC_INTERVENTIONS if p["track"] != "manager" else MANAGER_INTERVENTIONS)
    if p["performance_plan"] == "pip":
        pool = ["performance-advisor", "time-management-skills", "communication-skills"]
    tm = max(1, int(p["tenure_years"] * 12))
    m = rng.uniform(0.5, min(11.5, tm))
    return entry(rng.choice(pool), months_ago(m), pick(rng, {"accepted": 45, "completed": 25,
                                                            "recommended": 20, "declined": 10}))


# --------------------------------------------------------------------------
# Personas: fixed facts (names, department, location and manager come from the structure)

def persona_facts() -> dict[str, dict]:
    d = dt.date
    return {
        "persona-deep-expert": dict(
            track="individual_contributor", level=5, performance="high", potential="low",
            aspiration="technical", engagement="medium", flight_risk="low", performance_plan="none",
            wellbeing_concern=False, months_in_role=40, months_since_promotion=30, tenure_years=11.5,
            compa_ratio=1.02, pipeline={"status": "none", "months_waiting": 0},
            gaps=[{"skill": "communication", "severity": "high", "source": "talent review 2026"},
                  {"skill": "strategic_thinking", "severity": "medium", "source": "talent review 2026"}],
            interests=["distributed systems", "storage engines"],
            history=[entry("conference-attendance", d(2024, 10, 8), "completed")]),
        "persona-early-career": dict(
            track="individual_contributor", level=1, performance="high", potential="high",
            aspiration="undecided", engagement="high", flight_risk="low", performance_plan="none",
            wellbeing_concern=False, months_in_role=14, months_since_promotion=14, tenure_years=1.2,
            compa_ratio=0.97, pipeline={"status": "none", "months_waiting": 0},
            gaps=[{"skill": "new_technology", "severity": "low", "source": "self-assessment"}],
            interests=["UX research", "machine learning"], history=[]),
        "persona-senior-flight-risk": dict(
            track="individual_contributor", level=6, performance="high", potential="medium",
            aspiration="technical", engagement="medium", flight_risk="high", performance_plan="none",
            wellbeing_concern=False, months_in_role=50, months_since_promotion=38, tenure_years=12.0,
            compa_ratio=0.85, pipeline={"status": "none", "months_waiting": 0},
            gaps=[{"skill": "influencing", "severity": "low", "source": "360 feedback"}],
            interests=["site reliability", "security"],
            history=[entry("certification-funding", d(2023, 3, 14), "completed")]),
        "persona-regretful-manager": dict(
            track="manager", level=5, performance="medium", potential="medium",
            aspiration="technical", engagement="low", flight_risk="medium", performance_plan="none",
            wellbeing_concern=False, months_in_role=6, months_since_promotion=6, tenure_years=6.5,
            compa_ratio=1.0, pipeline={"status": "none", "months_waiting": 0},
            gaps=[{"skill": "conflict", "severity": "medium", "source": "360 feedback"},
                  {"skill": "ambiguity", "severity": "low", "source": "self-assessment"}],
            interests=["causal inference", "statistics"],
            history=[entry("conference-attendance", d(2023, 9, 21), "completed")]),
        "persona-pip": dict(
            track="individual_contributor", level=2, performance="low", potential="medium",
            aspiration="undecided", engagement="low", flight_risk="medium", performance_plan="pip",
            wellbeing_concern=False, months_in_role=20, months_since_promotion=20, tenure_years=3.5,
            compa_ratio=0.98, pipeline={"status": "none", "months_waiting": 0},
            gaps=[{"skill": "time_management", "severity": "high", "source": "manager assessment"},
                  {"skill": "project_management", "severity": "medium", "source": "manager assessment"}],
            interests=["process automation"], history=[]),
        "persona-wellbeing": dict(
            track="individual_contributor", level=3, performance="medium", potential="medium",
            aspiration="technical", engagement="low", flight_risk="medium", performance_plan="none",
            wellbeing_concern=True, months_in_role=30, months_since_promotion=30, tenure_years=5.0,
            compa_ratio=1.01, pipeline={"status": "none", "months_waiting": 0},
            gaps=[], interests=["customer research"],
            history=[entry("learning-time", d(2024, 5, 6), "completed")]),
        "persona-waiting-graduate": dict(
            track="individual_contributor", level=4, performance="high", potential="high",
            aspiration="management", leadership_motive="service", engagement="medium",
            flight_risk="medium", performance_plan="none", wellbeing_concern=False,
            months_in_role=36, months_since_promotion=26, tenure_years=7.0, compa_ratio=1.04,
            pipeline={"status": "graduate", "months_waiting": 18},
            gaps=[{"skill": "senior_leadership_connection", "severity": "low", "source": "talent review 2026"}],
            interests=["lean methods", "people leadership"],
            history=[entry("leadership-pipeline-program", d(2023, 11, 15), "accepted"),
                     entry("leadership-pipeline-program", d(2024, 12, 20), "completed")]),
        "persona-power-motive": dict(
            track="individual_contributor", level=3, performance="medium", potential="medium",
            aspiration="management", leadership_motive="power", engagement="high", flight_risk="low",
            performance_plan="none", wellbeing_concern=False, months_in_role=22,
            months_since_promotion=22, tenure_years=4.0, compa_ratio=0.99,
            pipeline={"status": "none", "months_waiting": 0},
            gaps=[{"skill": "conflict", "severity": "medium", "source": "360 feedback"}],
            interests=["negotiation", "people leadership"], history=[]),
        "persona-flight-risk-manager": dict(
            track="manager", level=6, performance="medium", potential="medium",
            aspiration="management", leadership_motive="service", engagement="medium",
            flight_risk="low", performance_plan="none", wellbeing_concern=False, months_in_role=30,
            months_since_promotion=30, tenure_years=9.0, compa_ratio=1.03,
            pipeline={"status": "none", "months_waiting": 0},
            gaps=[{"skill": "communication", "severity": "medium", "source": "360 feedback"}],
            interests=["site reliability", "people leadership"],
            history=[entry("new-manager-training", d(2024, 3, 11), "completed")]),
    }


# Where each persona sits: (role, department index)
PERSONA_PLACES = {
    "persona-flight-risk-manager": ("lead", 0),
    "persona-regretful-manager": ("lead", 2),
    "persona-deep-expert": ("ic", 0),
    "persona-senior-flight-risk": ("ic", 0),
    "persona-early-career": ("ic", 1),
    "persona-pip": ("ic", 3),
    "persona-waiting-graduate": ("ic", 3),
    "persona-wellbeing": ("ic", 4),
    "persona-power-motive": ("ic", 4),
}


# --------------------------------------------------------------------------

def generate(size: int, seed: int = SEED) -> dict:
    if size < MIN_SIZE:
        raise ValueError(f"--size must be at least {MIN_SIZE}")
    rng = random.Random(seed)
    slots = build_structure(rng, size)

    # Place personas.
    persona_at: dict[int, str] = {}
    leads_of = {d: [i for i, s in enumerate(slots) if s["role"] == "lead" and s["dept"] == d]
                for d in range(len(DEPARTMENTS))}
    fr_lead_slot = leads_of[0][0]
    for pid, (role, dept) in PERSONA_PLACES.items():
        if role == "lead":
            cands = [i for i in leads_of[dept] if i not in persona_at]
            persona_at[cands[0]] = pid
        else:
            cands = [i for i, s in enumerate(slots)
                     if s["role"] == "ic" and s["dept"] == dept and i not in persona_at
                     and s["manager"] != fr_lead_slot]
            persona_at[rng.choice(cands)] = pid

    # Ids and names.
    ids, n = [], 0
    for i in range(size):
        if i in persona_at:
            ids.append(persona_at[i])
        else:
            n += 1
            ids.append(f"nw-{n:03d}")
    name_idx = rng.sample(range(len(FIRST_NAMES) * len(SURNAMES)), size)
    names = [f"{FIRST_NAMES[k // len(SURNAMES)]} {SURNAMES[k % len(SURNAMES)]}" for k in name_idx]

    # Baseline facts.
    people: list[dict] = []
    for i, s in enumerate(slots):
        role = s["role"]
        manager = role != "ic"
        dept = s["dept"]
        tenure = tenure_for(rng, role)
        p: dict = {"id": ids[i], "name": names[i],
                   "track": "manager" if manager else "individual_contributor",
                   "level": level_for(rng, role, tenure)}
        perf = pick(rng, {"low": 11, "medium": 67, "high": 22}) if not manager else \
            pick(rng, {"low": 5, "medium": 70, "high": 25})
        p["performance"] = perf
        p["potential"] = pick(rng, {"high": {"low": 25, "medium": 45, "high": 30},
                                    "medium": {"low": 25, "medium": 60, "high": 15},
                                    "low": {"low": 40, "medium": 50, "high": 10}}[perf])
        if manager:
            p["aspiration"] = pick(rng, {"management": 88, "undecided": 12})
        else:
            p["aspiration"] = pick(rng, {"technical": 55, "management": 18, "undecided": 27})
        if p["aspiration"] == "management":
            p["leadership_motive"] = pick(rng, {"service": 75, "unknown": 25})
        p["engagement"] = pick(rng, {"high": 27, "medium": 58, "low": 15}) if not manager else \
            pick(rng, {"high": 35, "medium": 65})
        p["flight_risk"] = pick(rng, {"low": 67, "medium": 33})
        p["performance_plan"] = "none"
        p["wellbeing_concern"] = False
        if role == "exec":
            in_role, since = 40, 40
        elif role == "head":
            in_role, since = role_months(rng, tenure, 18, 58)
        elif role == "lead":
            in_role, since = role_months(rng, tenure, 13, 58)
            since = min(since, in_role)
        else:
            in_role, since = role_months(rng, tenure)
        p["months_in_role"], p["months_since_promotion"] = in_role, since
        p["tenure_years"] = tenure
        p["compa_ratio"] = round(min(1.18, max(0.82, rng.gauss(1.0, 0.06))), 2)
        p["pipeline"] = {"status": "none", "months_waiting": 0}
        if s["manager"] is not None:
            p["manager_id"] = ids[s["manager"]]
        p["gaps"] = gaps_for(rng, manager)
        p["interests"] = interests_for(rng, dept)
        p["history"] = []
        dname = DEPARTMENTS[dept][0] if dept is not None else "Executive Office"
        location = rng.choice(DEPARTMENTS[dept][2]) if dept is not None else "Lisbon"
        p["extra"] = {"department": dname, "location": location}
        if s["team"]:
            p["extra"]["team"] = s["team"]
        people.append(p)

    is_persona = [i in persona_at for i in range(size)]
    ic = [i for i, s in enumerate(slots) if s["role"] == "ic"]
    free_ic = [i for i in ic if not is_persona[i]]
    leads = [i for i, s in enumerate(slots) if s["role"] == "lead" and not is_persona[i]]
    heads = [i for i, s in enumerate(slots) if s["role"] == "head"]
    taken: set[int] = set()

    def take(pool: list[int], k: int, ok=lambda i: True) -> list[int]:
        cands = [i for i in pool if i not in taken and ok(i)]
        chosen = sorted(rng.sample(cands, min(k, len(cands))))
        taken.update(chosen)
        return chosen

    # High flight risk, clustered under a few managers (persona manager + two more leads).
    n_high_fr = round(0.10 * size)
    persona_teams = {slots[i]["manager"] for i in persona_at}
    def team_size(m: int) -> int:
        return sum(1 for i in free_ic if slots[i]["manager"] == m)

    cands = [i for i in leads if slots[i]["dept"] != 0 and i not in persona_teams
             and team_size(i) >= 4]
    if len(cands) < 2:                                # a small organization: fewer teams
        cands = sorted((i for i in leads + heads if i != fr_lead_slot),
                       key=lambda i: (i in persona_teams, -team_size(i), i))[:2]
    cluster_leads = [fr_lead_slot] + sorted(rng.sample(cands, 2))
    high_fr: list[int] = []
    for lead, k in zip(cluster_leads, (4, 3, 3)):
        team = [i for i in free_ic if slots[i]["manager"] == lead]
        high_fr += take(team, k)
    per_manager: dict[int, int] = {}
    for i in high_fr:
        per_manager[slots[i]["manager"]] = per_manager.get(slots[i]["manager"], 0) + 1
    rest = [i for i in free_ic if slots[i]["manager"] not in cluster_leads]
    rng.shuffle(rest)
    senior_fr_mgr = slots[ids.index("persona-senior-flight-risk")]["manager"]
    per_manager[senior_fr_mgr] = per_manager.get(senior_fr_mgr, 0) + 1
    for i in rest:
        if len(high_fr) >= n_high_fr - 1:            # the senior persona is the last one
            break
        m = slots[i]["manager"]
        if i in taken or per_manager.get(m, 0) >= 1:
            continue
        per_manager[m] = per_manager.get(m, 0) + 1
        high_fr.append(i)
        taken.add(i)
    for i in high_fr:
        p = people[i]
        p["flight_risk"] = "high"
        p["engagement"] = pick(rng, {"low": 45, "medium": 55})
        p["compa_ratio"] = round(min(p["compa_ratio"], rng.uniform(0.84, 0.98)), 2)

    # PIP (about 5%) and informal plans.
    pips = take(free_ic, round(0.05 * size) - 1)
    for i in pips:
        p = people[i]
        p["performance"], p["performance_plan"] = "low", "pip"
        p["engagement"] = pick(rng, {"low": 60, "medium": 40})
        if not any(g["skill"] in ("time_management", "project_management", "communication")
                   for g in p["gaps"]):
            p["gaps"].append({"skill": rng.choice(["time_management", "project_management",
                                                   "communication"]),
                              "severity": "high", "source": "manager assessment"})
    for i in take(free_ic, round(0.04 * size), lambda i: people[i]["performance"] != "high"):
        people[i]["performance_plan"] = "informal"

    # Wellbeing concern (about 4%).
    for i in take(free_ic, round(0.04 * size) - 1):
        people[i]["wellbeing_concern"] = True
        people[i]["engagement"] = pick(rng, {"low": 50, "medium": 50})

    # Leadership pipeline: graduates waiting 6-24 months, participants, power motives.
    grad_waits = [7, 11, 14, 23, 9, 20, 16][: max(2, round(0.025 * size) - 1)]
    ok_grad = lambda i: people[i]["performance"] != "low" and people[i]["tenure_years"] >= 3
    for i, wait in zip(take(free_ic, len(grad_waits), ok_grad), grad_waits):
        p = people[i]
        p["aspiration"], p["leadership_motive"] = "management", "service"
        p["potential"] = pick(rng, {"high": 70, "medium": 30})
        p["pipeline"] = {"status": "graduate", "months_waiting": wait}
        p["history"].append(entry("leadership-pipeline-program", months_ago(wait + 0.4), "completed"))
    for i in take(free_ic, round(0.03 * size), ok_grad):
        p = people[i]
        p["aspiration"], p["leadership_motive"] = "management", "service"
        p["potential"] = "high"
        p["pipeline"] = {"status": "participant", "months_waiting": 0}
        p["history"].append(entry("leadership-pipeline-program",
                                  months_ago(rng.uniform(2, 9)), "accepted"))
    for i in take(free_ic, 2, lambda i: people[i]["pipeline"]["status"] == "none"):
        people[i]["aspiration"], people[i]["leadership_motive"] = "management", "power"

    # Managers recently promoted from IC, unhappy, wanting technical work.
    for i in take(leads, max(1, round(size / 100)), lambda i: i not in cluster_leads):
        p = people[i]
        p["months_in_role"] = rng.randint(4, 11)
        p["months_since_promotion"] = p["months_in_role"]
        p["engagement"], p["aspiration"] = "low", "technical"
        p.pop("leadership_motive", None)
        p["history"].append(entry("new-manager-training",
                                  months_ago(rng.uniform(1, p["months_in_role"] - 0.5)),
                                  rng.choice(["accepted", "recommended"])))
    # Stagnant leaders: long in role, low engagement.
    stagnant = take(heads, 1) + take(leads, 2, lambda i: i not in cluster_leads)
    for i in stagnant:
        p = people[i]
        p["months_in_role"] = rng.randint(62, 110)
        p["months_since_promotion"] = p["months_in_role"] + rng.randint(0, 24)
        p["tenure_years"] = max(p["tenure_years"],
                                round(p["months_since_promotion"] / 12 + rng.uniform(1, 6), 1))
        p["engagement"] = "low"

    # Personas: fixed facts.
    facts = persona_facts()
    for i, pid in persona_at.items():
        p = people[i]
        keep = {k: p[k] for k in ("id", "name", "manager_id") if k in p}
        extra = dict(p["extra"])
        extra["persona"] = PERSONAS[pid]
        if pid == "persona-waiting-graduate":
            extra["open_leadership_positions"] = 0     # the persona's "no open seat", as a fact rules can read
        p.clear()
        p.update(keep)
        p.update(facts[pid])
        p["extra"] = extra

    # History: old entries for many; recent ones for well under a quarter of ICs.
    for i, p in enumerate(people):
        if is_persona[i]:
            continue
        p["history"] = old_history(rng, p) + p["history"]

    def has_recent(p: dict) -> bool:
        return any(months_between(h["date"]) < 12 for h in p["history"])

    target_recent = round(0.14 * len(ic))
    recent_now = sum(1 for i in ic if has_recent(people[i]))
    for i in take(free_ic, max(0, target_recent - recent_now),
                  lambda i: not has_recent(people[i])):
        people[i]["history"].append(recent_entry(rng, people[i]))
    for i, s in enumerate(slots):                    # some managers are learning too
        if s["role"] != "ic" and not is_persona[i] and not has_recent(people[i]) and rng.random() < 0.3:
            people[i]["history"].append(recent_entry(rng, people[i]))
    for p in people:
        p["history"].sort(key=lambda h: (h["date"], h["intervention"]))

    return {"organization": ORGANIZATION, "as_of": AS_OF.isoformat(),
            "people": [order_keys(p) for p in people]}


def months_between(date_text: str) -> float:
    return (AS_OF - dt.date.fromisoformat(date_text)).days / DAYS_PER_MONTH


KEY_ORDER = ["id", "name", "track", "level", "performance", "potential", "aspiration",
             "leadership_motive", "engagement", "flight_risk", "performance_plan",
             "wellbeing_concern", "months_in_role", "months_since_promotion", "tenure_years",
             "compa_ratio", "pipeline", "manager_id", "gaps", "interests", "history",
             "history_complete", "extra"]


def order_keys(p: dict) -> dict:
    # the generator writes each person's whole development history, so an empty
    # history here really means none (devrecs reads it as unknown otherwise)
    p = dict(p, history_complete=True)
    return {k: p[k] for k in KEY_ORDER if k in p}


def summary(doc: dict) -> str:
    ps = doc["people"]
    ics = [p for p in ps if p["track"] == "individual_contributor"]
    mgrs = [p for p in ps if p["track"] == "manager"]

    def count(key, pool=ps):
        out: dict = {}
        for p in pool:
            out[p.get(key)] = out.get(p.get(key), 0) + 1
        return dict(sorted(out.items(), key=lambda kv: str(kv[0])))

    reports_high: dict = {}
    for p in ps:
        if p["flight_risk"] == "high" and "manager_id" in p:
            reports_high[p["manager_id"]] = reports_high.get(p["manager_id"], 0) + 1
    recent = sum(1 for p in ics if any(months_between(h["date"]) < 12 for h in p["history"]))
    lines = [
        f"people {len(ps)}: managers {len(mgrs)}, individual contributors {len(ics)}",
        f"performance {count('performance')}",
        f"potential {count('potential')}",
        f"engagement {count('engagement')}",
        f"flight_risk {count('flight_risk')}",
        f"performance_plan {count('performance_plan')}",
        f"wellbeing_concern {count('wellbeing_concern')}",
        f"aspiration {count('aspiration')}; leadership_motive {count('leadership_motive')}",
        "pipeline graduates waiting: "
        + str(sorted(p["pipeline"]["months_waiting"] for p in ps if p["pipeline"]["status"] == "graduate"))
        + f"; participants {sum(1 for p in ps if p['pipeline']['status'] == 'participant')}",
        f"managers with >=3 high-flight-risk reports: "
        f"{sorted(k for k, v in reports_high.items() if v >= 3)}",
        f"recent (<=12 months) managers, low engagement, technical: "
        f"{[p['id'] for p in mgrs if p['months_in_role'] <= 12 and p['engagement'] == 'low' and p['aspiration'] == 'technical']}",
        f"stagnant leaders (>60 months in role, low engagement): "
        f"{[p['id'] for p in mgrs if p['months_in_role'] > 60 and p['engagement'] == 'low']}",
        f"ICs with development history in the last 12 months: {recent}/{len(ics)} "
        f"({100 * recent / len(ics):.1f}%)",
    ]
    return "\n".join(lines)


HEADER = """\
# Northwind Labs (synthetic): the devrecs sample organization.
# Generated by scripts/make_sample.py (seeded); do not edit by hand, re-run the script.
# Every name and fact is invented. People with extra.persona are the rows of the
# persona table in the domain contract (domain.md): the default rules must serve them well.
"""


def render(doc: dict) -> str:
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False,
                          width=100)
    return HEADER + body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output file, '-' for stdout")
    ap.add_argument("--size", type=int, default=200, help="number of people (default 200)")
    ap.add_argument("--quiet", action="store_true", help="do not print the summary")
    args = ap.parse_args(argv)
    try:
        doc = generate(args.size)
    except ValueError as exc:
        ap.error(str(exc))
    text = render(doc)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    if not args.quiet:
        print(summary(doc), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
