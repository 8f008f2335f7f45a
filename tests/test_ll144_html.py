"""The LL144 summary as an HTML section (`devrecs audit --format ll144 --html FILE`): the same
notes and numbers as the Markdown summary, every value escaped, tags balanced, no script."""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from devrecs import Engine
from devrecs.cli import cli
from devrecs.reports.fairness import audit_ll144, render_ll144, render_ll144_html

HOSTILE = '<script>alert("x")</script> & Pacific'


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    d = tmp_path_factory.mktemp("ll144html")
    (d / "r.yaml").write_text(textwrap.dedent("""\
        ruleset: r
        owner: test
        rules:
          - {id: senior-mentoring, title: t, when: {level: {ge: 5}}, recommend: [mentoring], rationale: r, source: s}
        """))
    return Engine.from_paths([d / "r.yaml"], entry_points=False)


def people():
    return [{"id": f"p{i}", "level": 6 if i % 2 else 2,
             "extra": {"Gender": "Female" if i < 30 else "Male", "race_ethnicity": HOSTILE if i % 3 else "White"}}
            for i in range(60)]


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.open, self.seen, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.open.append(tag)
        self.seen.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, (self.open, tag)
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_the_html_section_says_what_the_markdown_says_escaped(engine):
    result = audit_ll144(engine, [engine.prepare(p) for p in people()])
    html = render_ll144_html(result)
    assert html.startswith('<section class="devrecs-ll144">') and html.rstrip().endswith("</section>")
    parser = Tags()
    parser.feed(html)
    parser.close()
    assert parser.open == []                                   # every tag closed, in order
    assert "script" not in parser.seen and "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Pacific" in html
    text = " ".join(" ".join(parser.text).split())
    markdown = render_ll144(result)
    # every note and every number of the Markdown summary is in the HTML text
    for line in markdown.splitlines():
        if line.startswith("- "):
            assert line[2:] in text
    for cell in re.findall(r"\d+\.\d%|\d\.\d{3}", markdown):
        assert cell in text
    assert HOSTILE in text


def test_devrecs_audit_ll144_html_writes_the_section(tmp_path):
    path = tmp_path / "ll144.html"
    out = CliRunner().invoke(cli, ["audit", "--sample", "--format", "ll144", "--html", str(path)])
    assert out.exit_code == 0, out.output
    assert out.output.startswith("## Bias audit summary")      # the Markdown still goes to stdout
    assert path.read_text(encoding="utf-8").startswith('<section class="devrecs-ll144">')
    wrong = CliRunner().invoke(cli, ["audit", "--sample", "--by", "gender", "--html", str(path)])
    assert wrong.exit_code == 2 and "--html go with --format ll144" in wrong.output
