"""durable-rules' C engine, or one error that says how to install it.

durable-rules 2.0.28 ships no wheels: pip builds it from source, and on
Python 3.13 that build only works with a define (README, Requirements). A
missing or badly built engine is reported here, when devrecs is imported,
as a :class:`DurableRulesMissingError` with the command that fixes it.
"""

from __future__ import annotations

from ..errors import DevrecsError

FIX = (
    "CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject "
    "pip install --force-reinstall --no-cache-dir durable-rules==2.0.28"
)


class DurableRulesMissingError(DevrecsError, ImportError):
    """durable-rules, the matching engine, is not installed or does not import."""


try:
    import durable_rules_engine
except ImportError as exc:
    raise DurableRulesMissingError(
        f"devrecs needs durable-rules 2.0.28, the matching engine, and it does not import here "
        f"({exc}). Reinstall it (this builds it with a C compiler and the Python headers):\n"
        f"    {FIX}"
    ) from None

__all__ = ["DurableRulesMissingError", "durable_rules_engine"]
