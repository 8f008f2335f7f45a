"""The decision log's hash chain: each line records the SHA-256 of the line before it, across
rotated files; ``devrecs log verify`` names the first line altered, removed, inserted or reordered."""

import hashlib
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from devrecs.cli import cli
from devrecs.errors import DevrecsError
from devrecs.intake.peoplefile import sample_file
from devrecs.oversight.decisionlog import START, DecisionLog, read_log, verify

DAY = sample_file().as_of


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write(path, people, *, follows=None, run_id="run-a"):
    with DecisionLog(str(path), ruleset_hash="h", audience="hr", as_of=DAY, run_id=run_id,
                     follows=follows) as log:
        for p in people:
            log.write(p, [{"intervention": "coaching", "subject": p, "rules": ["r"], "priority": 1}])


def rotated(tmp_path, n1=4, n2=4):
    """A log of n1 lines rotated into a second file of n2 lines (by rotate())."""
    a, b = tmp_path / "d.1.jsonl", tmp_path / "d.2.jsonl"
    for old in (a, b):
        old.unlink(missing_ok=True)
    with DecisionLog(str(a), ruleset_hash="h", audience="hr", as_of=DAY, run_id="r") as log:
        for i in range(n1 + n2):
            if i == n1:
                log.rotate(str(b))
            log.write(f"p{i}", [])
    return a, b


def raw(path):
    return path.read_bytes().split(b"\n")[:-1]


def put(path, lines):
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def test_each_line_records_the_hash_of_the_line_before_across_a_rotation(tmp_path):
    a, b = rotated(tmp_path)
    lines = raw(a) + raw(b)
    entries = [json.loads(x) for x in lines]
    assert [e["seq"] for e in entries] == list(range(1, 9))
    assert entries[0]["prev"] == START
    for before, entry in zip(lines, entries[1:]):
        assert entry["prev"] == hashlib.sha256(before + b"\n").hexdigest()
    assert verify([str(a), str(b)]).ok
    out = run("log", "verify", str(a), str(b))
    assert out.exit_code == 0 and "8 chained lines hold" in out.output


def test_a_log_continued_later_and_a_file_that_follows_another_keep_the_chain(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write(a, ["p1", "p2"], run_id="one")
    write(a, ["p3"], run_id="two")                 # a second run appends to the same file
    write(b, ["p4", "p5"], follows=str(a))        # rotated by hand: b follows a
    assert [e["seq"] for e in read_log(str(a)) + read_log(str(b))] == [1, 2, 3, 4, 5]
    v = verify([str(a), str(b)])
    assert v.ok and v.chained == 5 and v.head.seq == 5
    assert v.head.prev == hashlib.sha256(raw(b)[-1] + b"\n").hexdigest()
    # the head, kept elsewhere, shows a last line cut off
    put(b, raw(b)[:-1])
    assert verify([str(a), str(b)]).ok
    cut = verify([str(a), str(b)], head=v.head.prev)
    assert not cut.ok and cut.broken.kind == "removed"
    with pytest.raises(DevrecsError, match="holds no line"):
        DecisionLog(str(tmp_path / "c.jsonl"), ruleset_hash="h", audience="hr", as_of=DAY,
                    follows=str(tmp_path / "empty.jsonl"))


def _broken(tmp_path, change):
    """Apply ``change`` to the 8 lines of a rotated log; verify both files. (file, line, kind)."""
    a, b = rotated(tmp_path)
    lines = raw(a) + raw(b)
    new = change(list(lines))
    put(a, new[:4])
    put(b, new[4:])
    v = verify([str(a), str(b)])
    assert not v.ok
    out = run("log", "verify", str(a), str(b))
    assert out.exit_code == 1 and v.broken.text() in out.output
    return (v.broken.file.rsplit("/", 1)[-1], v.broken.line, v.broken.kind)


def _alter(lines, i):
    entry = json.loads(lines[i])
    entry["recommendations"] = [{"intervention": "promotion", "subject": entry["person"], "rules": ["r"],
                                 "priority": 1}]
    lines[i] = json.dumps(entry).encode()
    return lines


@pytest.mark.parametrize("i", range(7))        # the last line is covered by the head (above)
def test_an_altered_line_is_named(tmp_path, i):
    f, n = ("d.1.jsonl", i + 1) if i < 4 else ("d.2.jsonl", i - 3)
    assert _broken(tmp_path, lambda lines: _alter(lines, i)) == (f, n, "altered")


def test_an_altered_hash_or_seq_is_named(tmp_path):
    def prev(lines):
        e = json.loads(lines[5])
        e["prev"] = "f" * 64
        lines[5] = json.dumps(e).encode()
        return lines

    def seq(lines):
        e = json.loads(lines[2])
        e["seq"] = 9
        lines[2] = json.dumps(e).encode()
        return lines
    assert _broken(tmp_path, prev) == ("d.2.jsonl", 2, "altered")
    assert _broken(tmp_path, seq) == ("d.1.jsonl", 3, "altered")


@pytest.mark.parametrize("i", range(1, 7))        # the last line: see the head, above
def test_a_removed_line_is_named(tmp_path, i):
    a, b = rotated(tmp_path)
    lines = raw(a) + raw(b)
    del lines[i]
    put(a, lines[:4])
    put(b, lines[4:])
    v = verify([str(a), str(b)])
    assert not v.ok and v.broken.kind == "removed"
    # the line after the gap is named (file and line), and the missing entry by number
    after = i                                      # index, in the joined list, of the line after the gap
    assert (v.broken.file, v.broken.line) == ((str(a), after + 1) if after < 4 else (str(b), after - 3))
    assert f"entry #{i + 1} is missing" in v.broken.message


def test_removing_the_first_line_or_a_whole_file_is_seen(tmp_path):
    a, b = rotated(tmp_path)
    put(a, raw(a)[1:])
    v = verify([str(a), str(b)])
    assert v.broken.kind == "incomplete" and v.broken.line == 1 and "#1 to #1" in v.broken.message
    (tmp_path / "x").mkdir()
    a, b = rotated(tmp_path / "x")
    v = verify([str(b)])                           # the rotated file alone: its start is missing
    assert not v.ok and v.broken.kind == "incomplete" and "oldest first" in v.broken.message
    assert verify([str(b), str(a)]).broken.kind == "reordered"      # files given newest first


def test_swapped_lines_are_named_as_reordered(tmp_path):
    def swap(i, j):
        def change(lines):
            lines[i], lines[j] = lines[j], lines[i]
            return lines
        return change
    assert _broken(tmp_path, swap(1, 2)) == ("d.1.jsonl", 2, "reordered")
    assert _broken(tmp_path, swap(3, 4)) == ("d.1.jsonl", 4, "reordered")      # across the rotation
    assert _broken(tmp_path, swap(0, 6)) == ("d.1.jsonl", 1, "reordered")


def test_inserted_lines_are_named(tmp_path):
    def copy(lines):          # a line repeated right after itself
        return lines[:3] + [lines[2]] + lines[3:]

    def stray(lines):         # a copy of line 3, changed, put after it
        e = json.loads(lines[2])
        e["person"] = "intruder"
        return lines[:3] + [json.dumps(e).encode()] + lines[3:]

    def forged(lines):        # a new line that records the right hash and seq of its place
        e = json.loads(lines[2])
        e["person"], e["seq"] = "intruder", 4
        e["prev"] = hashlib.sha256(lines[2] + b"\n").hexdigest()
        return lines[:3] + [json.dumps(e).encode()] + lines[3:]

    def blank(lines):
        return lines[:5] + [b""] + lines[5:]

    def old_style(lines):
        e = json.loads(lines[1])
        del e["seq"], e["prev"]
        return lines[:2] + [json.dumps(e).encode()] + lines[2:]
    assert _broken(tmp_path, copy)[2] == "inserted"
    assert _broken(tmp_path, stray) == ("d.1.jsonl", 4, "inserted")
    assert _broken(tmp_path, forged) == ("d.1.jsonl", 4, "inserted")
    assert _broken(tmp_path, blank) == ("d.2.jsonl", 2, "inserted")
    assert _broken(tmp_path, old_style) == ("d.1.jsonl", 3, "unchained")


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_single_edit_short_of_the_last_line_is_noticed(tmp_path_factory, data):
    """Change, remove, insert or move any one line: verify never calls the log clean."""
    tmp = tmp_path_factory.mktemp("chain")
    a, b = rotated(tmp, 3, 3)
    lines = raw(a) + raw(b)
    n = len(lines)
    kind = data.draw(st.sampled_from(["change", "remove", "insert", "move"]))
    if kind == "change":
        i = data.draw(st.integers(0, n - 2))
        pos = data.draw(st.integers(0, len(lines[i]) - 1))
        byte = data.draw(st.integers(0, 255).filter(lambda x: x != lines[i][pos] and x != 10))
        lines[i] = lines[i][:pos] + bytes([byte]) + lines[i][pos + 1:]
    elif kind == "remove":
        del lines[data.draw(st.integers(0, n - 2))]
    elif kind == "insert":
        lines.insert(data.draw(st.integers(0, n - 1)), lines[data.draw(st.integers(0, n - 1))])
    else:
        i = data.draw(st.integers(0, n - 1))
        j = data.draw(st.integers(0, n - 1).filter(lambda j: j != i))
        lines.insert(j, lines.pop(i))
    put(a, lines[:3])
    put(b, lines[3:])
    assert not verify([str(a), str(b)]).ok


def test_old_logs_without_the_chain_still_read_and_replay_says_unchained(tmp_path):
    log = tmp_path / "old.jsonl"
    assert run("recommend", "--sample", "--log", str(log)).exit_code == 0
    old = []
    for line in raw(log):
        e = json.loads(line)
        del e["seq"], e["prev"]
        e["log"] = 1
        old.append(json.dumps(e).encode())
    put(log, old)
    assert len(read_log(str(log))) == len(old)
    v = run("log", "verify", str(log))
    assert v.exit_code == 1 and "none of them chained" in v.output
    out = run("replay", str(log), "--sample", "--format", "json")
    assert out.exit_code == 0 and json.loads(out.stdout)["unchained"] == len(old)
    assert "unchained" in run("replay", str(log), "--sample").stdout
    # a new run appended to an old log chains to its last line; verify checks from there
    assert run("recommend", "--sample", "--log", str(log)).exit_code == 0
    v = verify([str(log)])
    assert v.ok and v.unchained == len(old) and v.chained == len(old)
    assert json.loads(raw(log)[len(old)])["prev"] == hashlib.sha256(old[-1] + b"\n").hexdigest()


def test_a_line_cut_short_by_a_crash_is_reported_and_the_next_run_starts_a_new_line(tmp_path):
    log = tmp_path / "d.jsonl"
    write(log, ["p1", "p2"])
    log.write_bytes(log.read_bytes()[:-20])
    v = verify([str(log)])
    assert v.broken.kind == "altered" and "cut short" in v.broken.message and v.broken.line == 2
    write(log, ["p3"])
    assert len(raw(log)) == 3 and json.loads(raw(log)[2])["person"] == "p3"
    assert verify([str(log)]).broken.line == 2
