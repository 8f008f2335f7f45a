"""The import rules of the layout (issue 15), read from the source with ast.

src/devrecs/ is a small core of modules (model, facts, people, catalog, packs, org, audience,
explain, errors ...) with the application layer app.py above it, and one sub-package per
concept: engine/, intake/, plugins/, render/, oversight/, reports/, authoring/, batch/, cli/ (and
rulefile/, the rule language). The rules:

- the engine (engine/) never imports plugins, intake, explain, audience, rendering, oversight, reports,
  authoring, batch, the application layer or the CLI;
- nothing below the application layer imports plugins, intake, app, batch, authoring, reports or cli;
- only engine/durable.py imports durable-rules;
- a package's __init__.py holds its docstring only: each name has one import path;
- no module imports another module's private names, and no module reaches into an engine's.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "devrecs"

# the layers below the application layer (app.py): they may not import what stands above it
BELOW_APP = {"engine", "catalog", "model", "facts", "people", "org", "audience", "explain", "render", "packs",
             "errors", "rulefile", "oversight", "database", "numeric", "text"}
ABOVE = {"plugins", "intake", "app", "cli", "batch", "authoring", "reports", "service", "frames"}
ENGINE_NEVER = ABOVE | {"explain", "audience", "render", "oversight", "packs"}


def modules():
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__") or "devrecs"
        yield name, path, ast.parse(path.read_text(), str(path))


def imported(tree, path):
    """The devrecs modules (dotted, without ``devrecs.``) and outside top-level modules ``tree``
    (the module at ``path``) imports."""
    package = list(path.relative_to(SRC).parent.parts)
    inside, outside = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                target = base + (node.module.split(".") if node.module else [])
                if node.module:
                    inside.add(".".join(target))
                else:
                    inside.update(".".join(target + [a.name]) for a in node.names)
            elif node.module and node.module.split(".")[0] == "devrecs":
                rest = node.module.split(".")[1:]
                inside.update(".".join(rest + [a.name]) for a in node.names) if not rest else inside.add(".".join(rest))
            elif node.module:
                outside.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "devrecs":
                    inside.add(".".join(a.name.split(".")[1:]))
                else:
                    outside.add(a.name.split(".")[0])
    return inside, outside


def tops(inside):
    return {name.split(".")[0] for name in inside if name}


def test_the_layout_has_its_packages():
    for package in ("engine", "intake", "plugins", "render", "oversight", "reports", "authoring", "batch", "cli",
                    "rulefile"):
        assert (SRC / package / "__init__.py").exists(), package
    assert not (SRC / "engine.py").exists() and not (SRC / "sources").exists()


def test_the_engine_imports_nothing_above_it():
    engine = [(path, tree) for name, path, tree in modules() if name.split(".")[0] == "engine"]
    assert len(engine) >= 4
    for path, tree in engine:
        bad = tops(imported(tree, path)[0]) & ENGINE_NEVER
        assert not bad, f"{path.relative_to(SRC)} imports {sorted(bad)}"


def test_nothing_below_the_application_layer_imports_what_stands_above_it():
    offenders = []
    for name, path, tree in modules():
        if name.split(".")[0] in BELOW_APP:
            bad = tops(imported(tree, path)[0]) & ABOVE
            if bad:
                offenders.append(f"{path.relative_to(SRC)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_intake_and_plugins_stand_beside_the_application_layer_not_above_it():
    """app.py builds on intake/ and plugins/, so they import nothing that builds on app.py."""
    offenders = []
    for name, path, tree in modules():
        if name.split(".")[0] in ("intake", "plugins"):
            bad = tops(imported(tree, path)[0]) & {"app", "cli", "batch", "authoring", "reports", "service", "frames"}
            if bad:
                offenders.append(f"{path.relative_to(SRC)} imports {sorted(bad)}")
    assert not offenders, "\n".join(offenders)


def test_only_one_module_imports_durable():
    users = [str(path.relative_to(SRC)) for name, path, tree in modules()
             if {"durable_rules_engine", "durable"} & imported(tree, path)[1]]
    assert users == ["engine/durable.py"]


def test_a_package_init_holds_its_docstring_only():
    found = []
    for path in sorted(SRC.rglob("__init__.py")):
        if path.parent in (SRC, SRC / "cli"):
            continue  # the public API (PEP 562 re-exports) and the command group
        body = ast.parse(path.read_text()).body
        if not body or len(body) > 1 or not isinstance(body[0], ast.Expr):
            if path.parent.name not in ("sources", "rulefile"):  # sources' registry; rulefile's errors
                found.append(str(path.relative_to(SRC)))
    assert not found, found


def test_no_private_names_across_modules():
    found = []
    for name, path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("devrecs")):
                found += [f"{path.relative_to(SRC)}: from {node.module} import {a.name}"
                          for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
        text = path.read_text()
        if name not in ("engine.core", "app"):
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
    code = ("import sys, devrecs, devrecs.app, devrecs.batch.runner, devrecs.cli, devrecs.intake.sources, "
            "devrecs.batch.progress; "
            "devrecs.intake.sources.builtin_sources(); "
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
