"""JSON Schemas (draft-07) of rule files, catalog files and rule-test files, for editors.

Written from the rule language (docs/rules.md), with the facts and values
of facts.py, so an editor with the YAML language server completes keys,
operators and values and flags most mistakes as you type::

    # yaml-language-server: $schema=devrecs-rules.schema.json

The schema is a help for writing, not the judge: ``devrecs validate`` is
(it also checks what a schema cannot say, such as intervention ids against
your catalogs, rule ids unique across files, or ``between`` in order).
"""

from __future__ import annotations

import json
from typing import Any

from ..catalog import ACTORS, AUDIENCES, FIELDS as CATALOG_FIELDS, KINDS, PURPOSES, RELEASED_TO, SUBJECTS
from ..facts import SCOPES, SKILLS, FactSpec
from ..rulefile.parse import DEFAULT_PRIORITY, HEADER_KEYS, PRIORITY_RANGE, RULE_KEYS, TARGETS

DRAFT = "http://json-schema.org/draft-07/schema#"
SCALAR = ["string", "number", "boolean"]


def _default_interventions() -> list[str]:
    try:
        from ..packs import default_rules_dir
        from ..rulefile import located
        path = default_rules_dir() / "catalog.yaml"
        doc = located.load(path.read_text(encoding="utf-8"), str(path), located=False)
        return [e["id"] for e in doc["interventions"]]
    except Exception:       # the schema still works without suggestions
        return []


def _value_schema(spec: FactSpec) -> dict:
    if spec.kind == "enum":
        return {"enum": list(spec.values)}
    if spec.kind in ("int", "float"):
        return {"type": "number"}
    if spec.kind == "bool":
        return {"type": "boolean"}
    if spec.kind == "str":
        return {"type": "string"}
    return {"type": SCALAR}


def _ops(spec: FactSpec, item: bool = False) -> dict[str, Any]:
    value = _value_schema(spec)
    ordered = spec.ordered or spec.kind in ("int", "float", "any")
    ops: dict[str, Any] = {
        "eq": dict(value, description="equals"),
        "ne": dict(value, description="does not equal"),
    }
    if spec.kind != "bool":
        ops["in"] = {"type": "array", "minItems": 1, "items": value, "description": "is one of these"}
        ops["not_in"] = {"type": "array", "minItems": 1, "items": value, "description": "is none of these"}
    if ordered:
        number_or_scale = value if spec.kind != "any" else {"type": "number"}
        for op, text in (("lt", "is below"), ("le", "is at most"), ("gt", "is above"), ("ge", "is at least")):
            ops[op] = dict(number_or_scale, description=text + (" (on the scale's order)" if spec.ordered else ""))
        ops["between"] = {"type": "array", "minItems": 2, "maxItems": 2, "items": number_or_scale,
                          "description": "between two values, both ends included, the lower first"}
    if not item:
        ops["exists"] = {"type": "boolean", "description": "true: the fact is known; false: it is unknown"}
    return ops


def _fact_test(spec: FactSpec, path: str) -> dict:
    """The schema of the value under a fact key in a condition."""
    doc = spec.doc or path
    if spec.kind == "strlist":
        words = {"anyOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]}
        return {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                "description": doc,
                "properties": {"contains": dict(words, description="includes this word, or one of these words"),
                               "topic": dict(words, description="includes a word of this topic of the file's "
                                                                "vocabulary, or of one of these topics")}}
    if spec.kind == "items":
        fields = {}
        for name, fspec in (spec.item_fields or {}).items():
            if name == "months_ago":
                continue
            value = _value_schema(fspec)
            if path == "gaps" and name == "skill":
                value = {"anyOf": [{"enum": list(SKILLS)}, {"type": "string"}]}
            ops = {"type": "object", "minProperties": 1, "additionalProperties": False,
                   "properties": _ops(fspec, item=True)}
            fields[name] = {"anyOf": [value, ops], "description": fspec.doc or f"the entry's {name}"}
        if path == "history":
            fields["within_months"] = {"type": "number", "minimum": 0,
                                       "description": "the entry's date lies within this many months "
                                                      "before the run date"}
        where = {"type": ["object", "null"], "additionalProperties": False, "properties": fields}
        return {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                "description": f"{doc}: 'any' (some entry passes every test) or 'none' (no entry does)",
                "properties": {"any": dict(where, description="some entry passes every test ({} for any entry)"),
                               "none": dict(where, description="no entry passes every test")}}
    ops = {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": _ops(spec)}
    return {"anyOf": [_value_schema(spec), ops], "description": doc}


def _condition_defs(scope: str) -> dict[str, Any]:
    facts = SCOPES[scope]
    ref = f"#/definitions/condition_{scope}"
    props: dict[str, Any] = {
        "all": {"type": "array", "minItems": 1, "items": {"$ref": ref}, "description": "every condition holds"},
        "any": {"type": "array", "minItems": 1, "items": {"$ref": ref}, "description": "at least one holds"},
        "not": {"$ref": ref, "description": "the condition is false (unknown stays unknown)"},
    }
    names = [p for p, spec in facts.items() if spec.kind not in ("items", "strlist")]
    fact_name = {"anyOf": [{"enum": names}, {"type": "string", "pattern": r"^extra\.\S"}]} if scope == "person" \
        else {"enum": names}
    for key, doc in (("exists", "the record holds these facts"), ("missing", "the record does not hold these facts")):
        props[key] = {"anyOf": [fact_name, {"type": "array", "minItems": 1, "items": fact_name}],
                      "description": doc}
    for path, spec in facts.items():
        props[path] = _fact_test(spec, path)
    mapping: dict[str, Any] = {"type": "object", "minProperties": 1, "properties": props,
                               "additionalProperties": False}
    if scope == "person":
        mapping["patternProperties"] = {r"^extra\.\S": _fact_test(FactSpec("any", doc="your organization's own fact"),
                                                                   "extra")}
    return {
        f"condition_{scope}": {"anyOf": [{"$ref": f"#/definitions/conditions_{scope}"},
                                         {"type": "array", "minItems": 1, "items": {"$ref": ref}}],
                               "description": f"a condition on the facts of a {scope}"},
        f"conditions_{scope}": mapping,
    }


def _governance(whose: str) -> dict[str, Any]:
    """The governance keys of a pack header or a rule (rulefile.parse.GOVERNANCE_KEYS)."""
    day = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    return {
        "owner": {"type": "string", "minLength": 1, "description": f"the person or team that answers for {whose}"},
        "author": {"type": "string", "minLength": 1, "description": "another name for 'owner' (give one)"},
        "approved_by": {"type": "string", "minLength": 1, "description": f"who approved {whose}"},
        "effective_from": dict(day, description=f"the first day {whose} applies (YYYY-MM-DD)"),
        "effective_until": dict(day, description=f"the last day {whose} applies (YYYY-MM-DD)"),
    }


def rule_file_schema() -> dict:
    """The schema of rule files and catalog files (one of the two)."""
    ids = _default_interventions()
    intervention = {"anyOf": [{"enum": ids}, {"type": "string"}] if ids else [{"type": "string"}],
                    "description": "an intervention id from a catalog"}
    target = {"type": "object", "required": ["intervention"], "additionalProperties": False,
              "properties": {"intervention": {"$ref": "#/definitions/intervention"},
                             "to": {"enum": list(TARGETS), "description": "person (default) or the person's manager"}}}
    id_list = {"anyOf": [{"$ref": "#/definitions/intervention"},
                         {"type": "array", "items": {"$ref": "#/definitions/intervention"}}]}
    rule = {
        "type": "object", "required": ["id", "title", "recommend"], "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "minLength": 1, "description": "a unique name for the rule"},
            "title": {"type": "string", "minLength": 1, "description": "a short human title"},
            "scope": {"enum": list(SCOPES), "description": "whose facts the rule tests (default person)"},
            "when": {"description": "the condition; without it the rule applies to everyone"},
            "recommend": {"anyOf": [{"$ref": "#/definitions/intervention"}, target,
                                    {"type": "array", "minItems": 1,
                                     "items": {"anyOf": [{"$ref": "#/definitions/intervention"}, target]}}],
                          "description": "what to recommend: intervention ids, or {intervention, to: manager}"},
            "priority": {"type": "integer", "minimum": PRIORITY_RANGE[0], "maximum": PRIORITY_RANGE[1],
                         "default": DEFAULT_PRIORITY, "description": "0 to 100, higher first"},
            "suppresses": dict(id_list, description="interventions to hold back when this rule applies"),
            "suppresses_kinds": {"type": "array", "minItems": 1, "items": {"enum": list(KINDS)},
                                 "description": "kinds of intervention to take off the person's own list "
                                                "while this rule applies (a focused plan)"},
            "rationale": {"type": "string", "description": "why, in full (hr reads it)"},
            "wording": {"type": "object", "additionalProperties": False,
                        "properties": {a: {"type": "string", "minLength": 1} for a in AUDIENCES},
                        "description": "the rationale in each audience's own words (employee: 'you')"},
            "source": {"type": "string", "description": "where the rule comes from"},
            "replaces": {"type": "boolean",
                         "description": "a plugin's rule that replaces the built-in rule with its id"},
            **_governance("the rule"),
        },
        "not": {"required": ["owner", "author"]},
        "allOf": [
            {"if": {"required": ["scope"], "properties": {"scope": {"const": "team"}}},
             "then": {"properties": {"when": {"$ref": "#/definitions/condition_team"}}}},
            {"if": {"required": ["scope"], "properties": {"scope": {"const": "organization"}}},
             "then": {"properties": {"when": {"$ref": "#/definitions/condition_organization"}}}},
            {"if": {"required": ["scope"], "properties": {"scope": {"enum": ["team", "organization"]}}},
             "else": {"properties": {"when": {"$ref": "#/definitions/condition_person"}}}},
        ],
    }
    assert set(rule["properties"]) == set(RULE_KEYS)
    rule_file = {
        "type": "object", "required": ["ruleset", "rules"], "additionalProperties": False,
        "properties": {
            "ruleset": {"type": "string", "minLength": 1, "description": "the name of this rule pack"},
            "version": {"type": ["string", "number"], "description": "your own version number or text"},
            "description": {"type": "string", "description": "what the pack is for"},
            "vocabulary": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                           "description": "interest topics and the free-text words that mean them "
                                          "(tested with 'interests: {topic: ...}')"},
            "rules": {"type": "array", "items": {"$ref": "#/definitions/rule"}},
            **_governance("the pack's rules"),
        },
        "not": {"required": ["owner", "author"]},
    }
    assert set(rule_file["properties"]) == set(HEADER_KEYS)
    entry = {
        "type": "object", "additionalProperties": False,
        "required": ["id", "title", "description", "kind", "subject", "audiences"],
        "properties": {
            "id": {"type": "string", "minLength": 1}, "title": {"type": "string"},
            "description": {"type": "string"}, "kind": {"enum": list(KINDS)}, "subject": {"enum": list(SUBJECTS)},
            "audiences": {"type": "array", "items": {"enum": list(AUDIENCES)}},
            "seeds": {"type": "array", "items": {"type": "string"}},
            "cooldown_months": {"type": "integer", "minimum": 0}, "purpose": {"enum": list(PURPOSES)},
            "who_acts": {"type": "array", "items": {"enum": list(ACTORS)},
                         "description": "who takes the first step: employee, manager, hr"},
            "first_step": {"type": "string", "minLength": 1, "description": "the first thing to do"},
            "timeframe": {"type": "string", "minLength": 1, "description": "how long it usually takes"},
            "wording": {"type": "object", "additionalProperties": False,
                        "properties": {a: {"type": "string", "minLength": 1} for a in AUDIENCES},
                        "description": "the description in each audience's own words"},
            "released_to": {"type": "array", "items": {"enum": list(RELEASED_TO)},
                            "description": "audiences that see it once a reviewer released it (review on)"},
        },
    }
    assert set(entry["properties"]) == set(CATALOG_FIELDS)
    catalog_file = {
        "type": "object", "required": ["interventions"], "additionalProperties": False,
        "properties": {"catalog": {"type": "string"}, "version": {"type": ["string", "number"]},
                       "description": {"type": "string"},
                       "interventions": {"type": "array", "items": {"$ref": "#/definitions/catalog_entry"}}},
    }
    definitions: dict[str, Any] = {"intervention": intervention, "rule": rule, "rule_file": rule_file,
                                   "catalog_entry": entry, "catalog_file": catalog_file}
    for scope in SCOPES:
        definitions.update(_condition_defs(scope))
    return {
        "$schema": DRAFT,
        "title": "devrecs rule file",
        "description": "A devrecs rule file (ruleset, rules) or catalog file (interventions). See docs/rules.md.",
        "oneOf": [{"$ref": "#/definitions/rule_file"}, {"$ref": "#/definitions/catalog_file"}],
        "definitions": definitions,
    }


def test_file_schema() -> dict:
    """The schema of rule-test files (ruletests.py, docs/authoring.md)."""
    ids = _default_interventions()
    intervention = {"anyOf": [{"enum": ids}, {"type": "string"}] if ids else [{"type": "string"}]}
    wanted_def = {"anyOf": [{"$ref": "#/definitions/intervention"},
                            {"type": "object", "required": ["intervention"], "additionalProperties": False,
                             "properties": {"intervention": {"$ref": "#/definitions/intervention"},
                                            "to": {"enum": ["person", "manager"]}}}]}
    wanted = {"$ref": "#/definitions/wanted"}
    level_def = {"type": "object", "additionalProperties": False, "properties": {
        "include": {"type": "array", "items": wanted, "description": "must be recommended"},
        "exclude": {"type": "array", "items": wanted, "description": "must not be recommended"},
        "exactly": {"type": "array", "items": wanted, "description": "exactly these, nothing else"}}}
    level = {"$ref": "#/definitions/level"}
    rule_ids = {"type": "array", "items": {"type": "string"}}
    person_expect = {"type": "object", "additionalProperties": False,
                     "properties": dict(level_def["properties"], fired=rule_ids, not_fired=rule_ids)}
    org_expect = {"type": "object", "additionalProperties": False, "properties": {
        "organization": level, "teams": {"type": "object", "additionalProperties": level},
        "people": {"type": "object", "additionalProperties": level}, "fired": rule_ids, "not_fired": rule_ids}}
    date = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    test = {
        "type": "object", "required": ["name", "expect"], "additionalProperties": False,
        "properties": {
            "name": {"type": "string"}, "person": {"type": "object"},
            "people": {"type": "array", "items": {"type": "object"}}, "org": {"type": "boolean"},
            "open_positions": {"type": "integer", "minimum": 0}, "as_of": date,
            "audience": {"enum": list(AUDIENCES)}, "cap": {"type": ["integer", "null"], "minimum": 0},
            "expect": {"type": "object"},
        },
        "allOf": [{"if": {"required": ["org"], "properties": {"org": {"const": True}}},
                   "then": {"required": ["people"], "properties": {"expect": org_expect}},
                   "else": {"required": ["person"], "properties": {"expect": person_expect}}}],
    }
    return {
        "$schema": DRAFT, "title": "devrecs rule-test file",
        "description": "Tests of rule packs, run by 'devrecs test' or pytest. See docs/authoring.md.",
        "type": "object", "required": ["tests"], "additionalProperties": False,
        "properties": {"rules": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                       "packs": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                       "plugins": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                       "isolated": {"type": "boolean"},
                       "as_of": date, "description": {"type": "string"},
                       "tests": {"type": "array", "items": test}},
        "definitions": {"intervention": intervention, "wanted": wanted_def, "level": level_def},
    }


test_file_schema.__test__ = False      # not a test, whatever pytest thinks of the name

SCHEMAS = {"rules": rule_file_schema, "tests": test_file_schema}


def schema_json(kind: str = "rules") -> str:
    return json.dumps(SCHEMAS[kind](), indent=2)


__all__ = ["SCHEMAS", "rule_file_schema", "schema_json", "test_file_schema"]
