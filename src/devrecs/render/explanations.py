"""Output formats for explanations: text (wrapped for a terminal), json, markdown.

A renderer is any object with ``render(explanation) -> str``; ``FORMATS``
maps format names to renderers (plugins add to it). Renderers only show
what the Explanation holds: redaction happened before (audience.py).

For the employee and the manager, text and markdown are a short plan: each
recommended item in that audience's own words, who acts, the first step and
a typical timeframe, in a few lines, with no rule ids, conditions or fact
values. HR and executives read the full condition trace; json always holds
everything the Explanation holds.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from typing import Any, Protocol

from ..explain import Check, Explanation, Item, RuleCheck, show_value
from .listing import REVIEW_LABELS


class Renderer(Protocol):
    def render(self, explanation: Explanation) -> str: ...


def _mark(check: Check) -> str:
    return {True: "yes", False: "NO", None: "--"}[check.held]


def _check_line(check: Check) -> str:
    if check.fact == "withheld":
        return "(a condition on a fact withheld from this audience)"
    return check.text


SHORT_AUDIENCES = ("employee", "manager")

# Who acts, as each short audience reads it.
_ACTOR = {
    "employee": {"employee": "you", "manager": "your manager", "hr": "HR"},
    "manager": {"employee": "your report", "manager": "you", "hr": "HR"},
}


def who_acts_text(item: Item, audience: str) -> str:
    names = [_ACTOR.get(audience, {}).get(a, a) for a in item.who_acts]
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def plan_lines(item: Item, audience: str) -> list[str]:
    """The item's why, who acts, first step and timeframe, as sentences for a short view."""
    out = []
    why = (item.reason[0] if item.reason else "") or item.description     # the leading rule's reason
    if why:
        out.append(f"Why: {why}")
    who = who_acts_text(item, audience)
    act = []
    if who:
        act.append(f"Who acts: {who}.")
    if item.first_step:
        act.append(f"First step: {item.first_step.rstrip('.')}.")
    if item.timeframe:
        act.append(f"Typically {item.timeframe.rstrip('.')}.")
    if act:
        out.append(" ".join(act))
    if item.review:
        out.append(f"Review: {review_label(item.review)}.")
    return out


def review_label(state: str) -> str:
    """A review state (oversight/store.py) as HR's and managers' views say it."""
    return REVIEW_LABELS.get(state, state)


def _short_status(item: Item, audience: str) -> str:
    if item.status == "not-available":
        return item.summary
    if item.status == "other-level":
        return "this is decided for teams or the whole organization, not for one person"
    return ("not on your list at the moment" if audience == "employee"
            else "not on your report's list at the moment")


class TextRenderer:
    def __init__(self, width: int = 0):
        self.width = width or min(100, shutil.get_terminal_size((100, 20)).columns)

    def _wrap(self, text: str, indent: str) -> list[str]:
        return textwrap.wrap(text, self.width, initial_indent=indent, subsequent_indent=indent) or [indent]

    def _rule(self, rc: RuleCheck, lines: list[str]) -> None:
        state = rc.not_in_effect or ("fired" if rc.fired else "did not hold")
        lines.extend(self._wrap(f"rule '{rc.rule}' ({rc.title}): {state}"
                                + (f"; {rc.removed}" if rc.removed else ""), "    "))
        for c in rc.checks:
            lines.extend(self._wrap(f"[{_mark(c)}] {_check_line(c)}", "      "))
        if rc.rationale:
            lines.extend(self._wrap(f"why this rule: {rc.rationale}", "      "))
        if rc.source:
            lines.extend(self._wrap(f"source: {rc.source}", "      "))

    def _item(self, item: Item, lines: list[str]) -> None:
        lines.append(f"{item.intervention} ({item.title}): {item.status}")
        lines.extend(self._wrap(item.summary, "  "))
        if item.review:
            lines.extend(self._wrap(f"Review: {review_label(item.review)}.", "  "))
        if item.why:
            lines.append("  Why:")
            for rc in item.why:
                self._rule(rc, lines)
        if item.why_not:
            lines.append("  Why not:" if item.status != "recommended" else "  Other rules for it:")
            for rc in item.why_not:
                self._rule(rc, lines)
        if item.what_it_would_take:
            lines.append(f"  What it would take (rule '{item.change_rule}'):")
            for ch in item.what_it_would_take:
                lines.extend(self._wrap(ch.describe(), "    - "))
        elif item.blocked:
            lines.extend(self._wrap(f"What it would take: {item.blocked}.", "  "))
        elif item.stopped:
            lines.extend(self._wrap(f"What it would take: {item.stopped}.", "  "))
        elif item.status in ("removed", "not-recommended") and item.why_not:
            lines.append("  What it would take: no change to facts this audience may see and change "
                         "would get it recommended.")
        lines.append("")

    def _short(self, explanation: Explanation) -> str:
        audience = explanation.audience
        shown = [i for i in explanation.items if i.status == "recommended"]
        lead = ("Your development plan" if audience == "employee"
                else f"Development plan for your report {explanation.person}")
        lines = [f"{lead}: {len(shown)} item{'s' if len(shown) != 1 else ''}.", ""]
        for n, item in enumerate(shown, 1):
            lines.extend(self._wrap(f"{n}. {item.title}", ""))
            for text in plan_lines(item, audience):
                lines.extend(self._wrap(text, "   "))
            lines.append("")
        for item in explanation.items:
            if item.status != "recommended":
                lines.extend(self._wrap(f"{item.title}: {_short_status(item, audience)}.", ""))
                lines.append("")
        lines.append(explanation.note)
        return "\n".join(lines)

    def render(self, explanation: Explanation) -> str:
        if explanation.audience in SHORT_AUDIENCES:
            return self._short(explanation)
        lines = [f"Person {explanation.person}, as seen by: {explanation.audience}", ""]
        if not explanation.items:
            lines += ["No recommendation to explain.", ""]
        for item in explanation.items:
            self._item(item, lines)
        lines.append(explanation.note)
        return "\n".join(lines)


class JsonRenderer:
    def render(self, explanation: Explanation) -> str:
        return json.dumps(explanation.to_dict(), indent=2)


class MarkdownRenderer:
    def _cell(self, text: Any) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    def _rule(self, rc: RuleCheck, lines: list[str]) -> None:
        state = rc.not_in_effect or ("fired" if rc.fired else "did not hold")
        lines.append(f"**Rule `{rc.rule}`** ({self._cell(rc.title)}): {state}"
                     + (f"; {rc.removed}" if rc.removed else ""))
        lines.append("")
        if rc.checks:
            lines += ["| condition | value | holds |", "|---|---|---|"]
            for c in rc.checks:
                if c.fact == "withheld":
                    lines.append("| withheld from this audience | withheld | -- |")
                else:
                    value = show_value(c.actual) if c.recorded else "not recorded"
                    lines.append(f"| {self._cell(c.test)} | {self._cell(value)} | {_mark(c)} |")
            lines.append("")
        if rc.rationale:
            lines += [f"> {rc.rationale}", ""]
        if rc.source:
            lines += [f"Source: {rc.source}", ""]

    def _short(self, explanation: Explanation) -> str:
        audience = explanation.audience
        lead = ("Your development plan" if audience == "employee"
                else f"Development plan for your report {explanation.person}")
        lines = [f"# {lead}", ""]
        for item in explanation.items:
            if item.status == "recommended":
                lines += [f"## {self._cell(item.title)}", ""]
                lines += [self._cell(t) for t in plan_lines(item, audience)]
                lines.append("")
            else:
                lines += [f"- {self._cell(item.title)}: {_short_status(item, audience)}.", ""]
        lines.append(f"_{explanation.note}_")
        return "\n".join(lines)

    def render(self, explanation: Explanation) -> str:
        if explanation.audience in SHORT_AUDIENCES:
            return self._short(explanation)
        lines = [f"# Person {explanation.person} (audience: {explanation.audience})", ""]
        for item in explanation.items:
            lines += [f"## {item.intervention}: {self._cell(item.title)}", "",
                      f"**{item.status}**: {item.summary}", ""]
            if item.review:
                lines += [f"Review: {review_label(item.review)}.", ""]
            if item.why:
                lines += ["### Why", ""]
                for rc in item.why:
                    self._rule(rc, lines)
            if item.why_not:
                lines += ["### Why not" if item.status != "recommended" else "### Other rules for it", ""]
                for rc in item.why_not:
                    self._rule(rc, lines)
            if item.what_it_would_take:
                lines += [f"### What it would take (rule `{item.change_rule}`)", ""]
                lines += [f"- `{c.fact}`: {self._cell(c.current_text)} → {self._cell(show_value(c.proposed))}"
                          for c in item.what_it_would_take]
                lines.append("")
            elif item.blocked or item.stopped:
                lines += ["### What it would take", "", self._cell(item.blocked or item.stopped), ""]
        lines.append(f"_{explanation.note}_")
        return "\n".join(lines)


FORMATS: dict[str, Renderer] = {"text": TextRenderer(), "json": JsonRenderer(), "markdown": MarkdownRenderer()}
