"""The import rules of the layout (issue 15), read from the source with ast.

- the rule engine (engine.py) never imports plugins, intake, explain, audience, rendering or the
  application layer;
- nothing below the application layer imports plugins or intake;
- only durable_engine.py imports durable-rules (engine.py takes it from there);
- no module imports another module's private names, and no module reaches into an engine's.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "devrecs"

# the layers below the application layer (app.py): they may not import plugins or intake
BELOW_APP = {"engine", "resolve", "catalog", "model", "facts", "people", "org", "audience", "explain",
             "render", "listing", "packs", "errors", "hookspecs", "store", "decision_table",
             "rulefile", "sources", "mapping", "decisionlog"}
ENGINE_NEVER = {"plugins", "intake", "explain", "audience", "render", "listing", "app", "cli", "batch",
                "report", "fairness", "store", "decisionlog", "mapping", "sources", "peoplefile", "packs"}


def modules():
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__") or "devrecs"
        yield name, path, ast.parse(path.read_text(), str(path))


def imported(tree, name):
    """The devrecs modules (top names under devrecs) and outside modules ``tree`` imports."""
    package = name.split(".")
    if not (SRC / Path(*package) / "__init__.py").exists():
        package = package[:-1]
    inside, outside = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1] if node.level > 1 else package
                target = base + (node.module.split(".") if node.module else [])
                if target:
                    inside.add(target[0])
                else:
                    inside.update(a.name for a in node.names)
            elif node.module and node.module.split(".")[0] == "devrecs":
                inside.add((node.module.split(".") + [a.name for a in node.names])[1])
            elif node.module:
                outside.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            for a in node.names:
                outside.add(a.name.split(".")[0])
    return inside, outside


def test_the_engine_imports_nothing_above_it():
    for name, path, tree in modules():
        if name == "engine":
            inside, _ = imported(tree, name)
            assert not inside & ENGINE_NEVER, f"engine.py imports {sorted(inside & ENGINE_NEVER)}"
            return
    raise AssertionError("no engine.py")


def test_nothing_below_the_application_layer_imports_plugins_or_intake():
    offenders = []
    for name, path, tree in modules():
        if name.split(".")[0] in BELOW_APP:
            inside, _ = imported(tree, name)
            bad = inside & {"plugins", "intake", "app", "cli", "batch"}
            if bad:
                offenders.append(f"{path.relative_to(SRC)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_only_one_module_imports_durable():
    users = [str(path.relative_to(SRC)) for name, path, tree in modules()
             if {"durable_rules_engine", "durable"} & imported(tree, name)[1]]
    assert users == ["durable_engine.py"]


def test_no_private_names_across_modules():
    found = []
    for name, path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("devrecs")):
                found += [f"{path.relative_to(SRC)}: from {node.module} import {a.name}"
                          for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
        text = path.read_text()
        if name not in ("engine", "app"):
            found += [f"{path.relative_to(SRC)}: {m.group(0)}" for m in re.finditer(r"\bengine\._[a-z]\w*", text)]
    assert not found, "\n".join(found)


def test_no_engine_parameter_is_typed_any():
    found = []
    for name, path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg in node.args.args + node.args.kwonlyargs:
                    if arg.arg == "engine" and isinstance(arg.annotation, ast.Name) and arg.annotation.id == "Any":
                        found.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}(engine: Any)")
    assert not found, "\n".join(found)


def test_every_module_says_what_it_holds():
    missing = [str(path.relative_to(SRC)) for name, path, tree in modules()
               if not ast.get_docstring(tree) and path.stat().st_size > 0]
    assert not missing, missing


def test_the_core_imports_no_data_frame_library():
    """pandas, polars, pyarrow (Parquet, devrecs.frames), rich (the progress bar), Dask and matplotlib
    are imported only by what uses them: importing devrecs, its CLI or its sources loads none."""
    code = ("import sys, devrecs, devrecs.app, devrecs.batch, devrecs.cli, devrecs.sources, devrecs.progress; "
            "devrecs.sources.builtin_sources(); "
            "print(sorted(m for m in ('pandas', 'polars', 'pyarrow', 'narwhals', 'rich', 'dask', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_string_constant_holds_a_lone_surrogate():
    """Python 3.13 cannot compile a module (as pytest rewrites it) whose constants hold a lone
    surrogate; tests make them with chr() at run time."""
    found = []
    for root in (SRC, SRC.parents[1] / "tests", SRC.parents[1] / "plugins"):
        for path in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    try:
                        node.value.encode("utf-8")
                    except UnicodeEncodeError:
                        found.append(f"{path}:{node.lineno}")
    assert not found, found
