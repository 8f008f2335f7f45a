"""Acme's devrecs plugin: one intervention, one rule pack, one default rule replaced."""

from pathlib import Path

import devrecs

RULES = Path(__file__).parent / "rules"


@devrecs.hookimpl
def devrecs_rule_paths():
    return [RULES]


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
