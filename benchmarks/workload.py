"""The seeded workload shared by benchmarks/engine.py and benchmarks/peers.py: 100 rules
(two equality tests on enum facts and a ``level >=`` test each) and generated people."""

from __future__ import annotations

import datetime as dt
import random

AS_OF = dt.date(2026, 6, 30)
ENUMS = {"performance": ["low", "medium", "high"], "potential": ["low", "medium", "high"],
         "engagement": ["low", "medium", "high"], "flight_risk": ["low", "medium", "high"],
         "aspiration": ["technical", "management", "undecided"],
         "track": ["individual_contributor", "manager"]}


def catalog_ids() -> list[str]:
    from devrecs.packs import default_rules_dir, load_packs
    return sorted(i.id for i in load_packs([default_rules_dir() / "catalog.yaml"]).catalog)


def workload_yaml(n: int, seed: int = 7, name: str = "bench") -> str:
    """``n`` rules in the devrecs rule language."""
    rnd = random.Random(seed)
    catalog = catalog_ids()
    lines = [f"ruleset: {name}", "version: 1", "rules:"]
    for i in range(n):
        a, b = rnd.sample(sorted(ENUMS), 2)
        lines += [f"  - id: bench-{i}", f"    title: Bench rule {i}",
                  f"    when: {{{a}: {rnd.choice(ENUMS[a])}, {b}: {rnd.choice(ENUMS[b])}, "
                  f"level: {{ge: {rnd.randint(1, 6)}}}}}",
                  f"    recommend: [{rnd.choice(catalog)}]", f"    priority: {rnd.randint(1, 99)}"]
    return "\n".join(lines) + "\n"


def workload_people(n: int, seed: int = 11) -> list[dict]:
    rnd = random.Random(seed)
    return [dict({k: rnd.choice(v) for k, v in ENUMS.items()}, id=f"p{i}", level=rnd.randint(1, 7))
            for i in range(n)]
