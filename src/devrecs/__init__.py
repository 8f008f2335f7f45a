"""devrecs: declarative development recommendations, with explanations.

    >>> import devrecs
    >>> engine = devrecs.Engine.default()
    >>> engine.recommend({"id": "p1", "track": "individual_contributor", ...})

The public names below are imported when first used (PEP 562), so ``import
devrecs`` and the command line start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that holds it
_PUBLIC = {
    "Engine": "app", "Outputs": "app", "People": "app",
    "RuleEngine": "engine.core", "Evaluation": "engine.core", "OrganizationResult": "engine.core",
    "Catalog": "catalog",
    "DevrecsError": "errors", "Problem": "errors", "RecordError": "errors", "RuleFileError": "errors",
    "UnknownIdError": "errors",
    "hookimpl": "plugins.hookspecs",
    "Evidence": "model", "Gap": "model", "HistoryEntry": "model", "Intervention": "model", "Person": "model",
    "Pipeline": "model", "Recommendation": "model", "Rule": "model",
    "Reject": "intake.pipeline",
    "PluginError": "plugins.manager",
    "person_from_dict": "people",
}

__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors
    from .app import Engine, Outputs, People
    from .catalog import Catalog
    from .engine.core import Evaluation, OrganizationResult, RuleEngine
    from .errors import DevrecsError, Problem, RecordError, RuleFileError, UnknownIdError
    from .intake.pipeline import Reject
    from .model import Evidence, Gap, HistoryEntry, Intervention, Person, Pipeline, Recommendation, Rule
    from .people import person_from_dict
    from .plugins.hookspecs import hookimpl
    from .plugins.manager import PluginError


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'devrecs' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
