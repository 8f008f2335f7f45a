"""Pseudonym keys (issue 17, item 8): at least 128 bits, and nothing in the log that lets a
guessed key be tested offline beyond what the pseudonyms themselves allow."""

import hashlib
import hmac
import json
import secrets
import subprocess
import sys

import pytest
from click.testing import CliRunner

from devrecs.cli import cli
from devrecs.errors import DevrecsError
from devrecs.oversight import decisionlog
from devrecs.oversight.decisionlog import Pseudonymiser

MIN_KEY_BITS = 128


def key_strength(key):
    return decisionlog.key_strength(key)


def new_key():
    return decisionlog.new_key() if hasattr(decisionlog, "new_key") else secrets.token_urlsafe(32)

WEAK = ["x", "secret", "hunter2", "a" * 200, "ab" * 64, "0123456789abcdef" * 4, "not the same key",
        "2026" * 10, "aaaabbbbccccdddd" * 3]
STRONG = [secrets.token_hex(16), secrets.token_hex(32), secrets.token_urlsafe(32), secrets.token_urlsafe(40)]


@pytest.mark.parametrize("key", WEAK)
def test_weak_keys_are_refused_with_the_reason(key):
    with pytest.raises(DevrecsError) as caught:
        Pseudonymiser(key.encode())
    message = str(caught.value)
    assert "too weak" in message and f"at least {MIN_KEY_BITS} are needed" in message
    assert "python -m devrecs.oversight.decisionlog new-key" in message
    assert len(key) < 4 or key not in message


@pytest.mark.parametrize("key", STRONG, ids=["hex-16-bytes", "hex-32-bytes", "urlsafe-32-bytes", "urlsafe-40-bytes"])
def test_random_keys_of_128_bits_or_more_are_taken(key):
    assert key_strength(key.encode()) >= MIN_KEY_BITS
    assert Pseudonymiser(key.encode())("p1").startswith("hmac-sha256:")


def test_random_hex_keys_of_128_bits_always_pass():
    assert min(key_strength(secrets.token_hex(16).encode()) for _ in range(3000)) >= MIN_KEY_BITS


def test_the_cli_refuses_a_one_character_key_in_one_line(tmp_path):
    log = tmp_path / "d.jsonl"
    out = CliRunner().invoke(cli, ["recommend", "--sample", "--log", str(log), "--pseudonymise-key-env", "K"],
                             env={"K": "k"})
    assert out.exit_code == 2
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("--pseudonymise-key-env K: the key in K is too weak"), out.output
    assert 'export K="$(python -m devrecs.oversight.decisionlog new-key)"' in lines[0]
    assert not log.exists() or log.read_text() == ""


def test_new_key_prints_a_fresh_strong_key_and_nothing_else():
    made = [subprocess.run([sys.executable, "-m", "devrecs.oversight.decisionlog", "new-key"], capture_output=True,
                           text=True, check=True).stdout for _ in range(2)]
    keys = [m.strip() for m in made]
    assert all(m.count("\n") == 1 for m in made)
    assert keys[0] != keys[1] and all(key_strength(k.encode()) >= 256 for k in keys)
    bad = subprocess.run([sys.executable, "-m", "devrecs.oversight.decisionlog"], capture_output=True, text=True)
    assert bad.returncode == 2 and "new-key" in bad.stderr and bad.stdout == ""


def _fingerprints(key: bytes) -> set:
    """Values computed from the key alone, as the old key_id was, in several spellings."""
    out = set()
    for msg in (b"devrecs decision log key id", b"", b"key id"):
        for algo in (hashlib.sha256, hashlib.sha1, hashlib.md5):
            digest = hmac.new(key, msg, algo).hexdigest()
            out.update(digest[:n] for n in (8, 12, 16, 32, 64))
        digest = hashlib.sha256(key).hexdigest()
        out.update(digest[:n] for n in (8, 12, 16, 32, 64))
    return out


def test_the_log_holds_nothing_made_from_the_key_alone(tmp_path):
    key = new_key()
    log = tmp_path / "d.jsonl"
    out = CliRunner().invoke(cli, ["recommend", "--sample", "--audience", "manager", "--log", str(log),
                                   "--pseudonymise-key-env", "K"], env={"K": key})
    assert out.exit_code == 0, out.output
    text = log.read_text()
    assert key not in text and key not in out.output
    entries = [json.loads(line) for line in text.splitlines()]
    assert entries and all("key_id" not in e for e in entries)
    allowed = {"log", "time", "run", "ruleset_hash", "packs", "as_of", "audience", "cap", "person", "pseudonymised",
               "recommendations", "seq", "prev"}      # prev: the hash of the line before, not of the key
    assert all(set(e) <= allowed for e in entries)
    prints = _fingerprints(key.encode())
    words = set(text.replace('"', " ").replace(":", " ").replace(",", " ").split())
    assert not prints & words
    assert "key_id" not in repr(Pseudonymiser(key.encode())) and key not in repr(Pseudonymiser(key.encode()))


def test_replay_with_a_wrong_key_says_so_without_a_fingerprint(tmp_path):
    log = tmp_path / "d.jsonl"
    env = {"K1": new_key(), "K2": new_key()}
    assert CliRunner().invoke(cli, ["recommend", "--sample", "--log", str(log), "--pseudonymise-key-env", "K1"],
                              env=env).exit_code == 0
    same = CliRunner().invoke(cli, ["replay", str(log), "--sample", "--pseudonymise-key-env", "K1", "--format",
                                    "json"], env=env)
    assert same.exit_code == 0 and json.loads(same.stdout)["missing"] == []
    wrong = CliRunner().invoke(cli, ["replay", str(log), "--sample", "--pseudonymise-key-env", "K2"], env=env)
    assert wrong.exit_code == 2
    assert "pseudonymised with another key, or it is about other people" in wrong.output
