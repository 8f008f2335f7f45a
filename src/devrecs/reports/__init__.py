"""Reports on a population: the fairness audit and the organization report.

fairness.py (who gets development, by group, and the NYC Local Law 144 bias audit),
organization.py (one self-contained HTML page with charts). Both run people through the
application layer's Engine, so they stand above app.py.
"""
