"""devrecs: declarative development recommendations, with explanations.

    >>> import devrecs
    >>> engine = devrecs.Engine.default()
    >>> engine.recommend({"id": "p1", "track": "individual_contributor", ...})
"""

from .catalog import Catalog
from .app import Engine
from .engine import Evaluation, RuleEngine
from .errors import DevrecsError, Problem, RecordError, RuleFileError, UnknownIdError
from .hookspecs import hookimpl
from .model import Evidence, Gap, HistoryEntry, Intervention, Person, Pipeline, Recommendation, Rule
from .people import person_from_dict

__version__ = "0.1.0"

__all__ = [
    "Catalog", "DevrecsError", "Engine", "Evaluation", "RuleEngine", "Evidence", "Gap", "HistoryEntry",
    "Intervention", "Person", "Pipeline", "Problem", "RecordError", "Recommendation", "Rule",
    "RuleFileError", "UnknownIdError", "hookimpl", "person_from_dict",
]
