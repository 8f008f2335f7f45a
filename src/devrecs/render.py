"""Output formats for explanations: text (wrapped for a terminal), json, markdown.

A renderer is any object with ``render(explanation) -> str``; ``FORMATS``
maps format names to renderers (plugins add to it). Renderers only show
what the Explanation holds: redaction happened before (audience.py).
"""

from __future__ import annotations

import json
import shutil
import textwrap
from typing import Any, Protocol

from .explain import Check, Explanation, Item, RuleCheck, _show


class Renderer(Protocol):
    def render(self, explanation: Explanation) -> str: ...


def _mark(check: Check) -> str:
    return {True: "yes", False: "NO", None: "--"}[check.held]


def _check_line(check: Check) -> str:
    if check.fact == "withheld":
        return "(a condition on a fact withheld from this audience)"
    return check.text


class TextRenderer:
    def __init__(self, width: int = 0):
        self.width = width or min(100, shutil.get_terminal_size((100, 20)).columns)

    def _wrap(self, text: str, indent: str) -> list[str]:
        return textwrap.wrap(text, self.width, initial_indent=indent, subsequent_indent=indent) or [indent]

    def _rule(self, rc: RuleCheck, lines: list[str]) -> None:
        state = "fired" if rc.fired else "did not hold"
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
        elif item.status in ("removed", "not-recommended") and item.why_not:
            lines.append("  What it would take: no change to facts this audience may see and change "
                         "would get it recommended.")
        lines.append("")

    def render(self, explanation: Explanation) -> str:
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
        state = "fired" if rc.fired else "did not hold"
        lines.append(f"**Rule `{rc.rule}`** ({self._cell(rc.title)}): {state}"
                     + (f"; {rc.removed}" if rc.removed else ""))
        lines.append("")
        if rc.checks:
            lines += ["| condition | value | holds |", "|---|---|---|"]
            for c in rc.checks:
                if c.fact == "withheld":
                    lines.append("| withheld from this audience | withheld | -- |")
                else:
                    value = _show(c.actual) if c.recorded else "not recorded"
                    lines.append(f"| {self._cell(c.test)} | {self._cell(value)} | {_mark(c)} |")
            lines.append("")
        if rc.rationale:
            lines += [f"> {rc.rationale}", ""]
        if rc.source:
            lines += [f"Source: {rc.source}", ""]

    def render(self, explanation: Explanation) -> str:
        lines = [f"# Person {explanation.person} (audience: {explanation.audience})", ""]
        for item in explanation.items:
            lines += [f"## {item.intervention}: {self._cell(item.title)}", "",
                      f"**{item.status}**: {item.summary}", ""]
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
                lines += [f"- `{c.fact}`: {self._cell(c.current_text)} → {self._cell(_show(c.proposed))}"
                          for c in item.what_it_would_take]
                lines.append("")
            elif item.blocked:
                lines += ["### What it would take", "", self._cell(item.blocked), ""]
        lines.append(f"_{explanation.note}_")
        return "\n".join(lines)


FORMATS: dict[str, Renderer] = {"text": TextRenderer(), "json": JsonRenderer(), "markdown": MarkdownRenderer()}
