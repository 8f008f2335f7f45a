"""Authoring: what a rule author uses before rules ship.

validate.py (every problem at once), lint.py (valid but probably wrong), schema.py (JSON Schemas
for editors), diff.py (whom a change affects), ruletests.py (YAML rule tests),
pytest_plugin.py (the pytest entry point). Stands above app.py.
"""
