"""Acme's devrecs plugin: one intervention, one rule pack, one default rule replaced.

Installing it changes no recommendation: Acme's rules (and its replacement
of a built-in rule) apply only where Acme switches them on, with the
environment variable ``DEVRECS_ACME=on``. So installing the example
plugins for the tests never changes what ``devrecs recommend --sample``
gives. The catalog entry is always there (a catalog entry alone
recommends nothing).
"""

import os
from pathlib import Path

import devrecs

RULES = Path(__file__).parent / "rules"
ENV = "DEVRECS_ACME"


def enabled() -> bool:
    return os.environ.get(ENV, "").strip().lower() in ("1", "on", "yes", "true")


@devrecs.hookimpl
def devrecs_rule_paths():
    return [RULES] if enabled() else []


@devrecs.hookimpl
def devrecs_interventions():
    return [{
        "id": "acme-guild-membership",
        "title": "Acme engineering guild",
        "description": ("Membership of one of Acme's internal engineering guilds: experts from every "
                        "team who meet monthly, review each other's designs and run the guild's "
                        "reading list."),
        "kind": "relationship",
        "subject": "person",
        "audiences": ["employee", "manager", "hr", "executive"],
        "cooldown_months": 12,
        "purpose": "opportunity",
    }]
