"""Importing devrecs without a working durable-rules says so once, with the fix."""

import subprocess
import sys
import textwrap

FIX = ("CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject "
       "pip install --force-reinstall --no-cache-dir durable-rules==2.0.28")

# Run in a fresh interpreter: reports what importing devrecs' engine raised, as "type|is-a|message".
PROBE = textwrap.dedent("""
    import sys
    {setup}
    try:
        import devrecs
        devrecs.Engine         # the public names load when first used; the engine needs durable-rules
    except BaseException as exc:
        from devrecs.errors import DevrecsError
        kinds = [k for k, c in (("devrecs", DevrecsError), ("import", ImportError)) if isinstance(exc, c)]
        print(type(exc).__name__, ",".join(kinds), str(exc), sep="|")
    else:
        print("imported")
""")


def probe(setup: str, cwd) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(setup=setup)], cwd=cwd,
                         capture_output=True, text=True, check=True).stdout
    return out.rstrip("\n").split("|")


def test_a_missing_durable_rules_is_one_devrecs_error_with_the_fix(tmp_path):
    name, kinds, message = probe("sys.modules['durable_rules_engine'] = None", tmp_path)
    assert name == "DurableRulesMissingError"
    assert kinds == "devrecs,import"          # except ImportError around an import still works
    assert "devrecs needs durable-rules 2.0.28" in message
    assert message.count(FIX) == 1 and message.endswith(FIX)


def test_a_durable_rules_built_without_the_define_names_the_reason_and_the_fix(tmp_path):
    # what Python 3.13 says of a durable-rules built without the CPPFLAGS define
    (tmp_path / "durable_rules_engine.py").write_text(
        "raise ImportError('durable_rules_engine.so: undefined symbol: PyEval_CallObject')\n")
    name, kinds, message = probe(f"sys.path.insert(0, {str(tmp_path)!r})", tmp_path)
    assert name == "DurableRulesMissingError" and kinds == "devrecs,import"
    assert "(durable_rules_engine.so: undefined symbol: PyEval_CallObject)" in message
    assert message.endswith(FIX)


def test_with_durable_rules_installed_devrecs_imports(tmp_path):
    assert probe("", tmp_path) == ["imported"]
