"""Oversight records: what devrecs proposed, what people did with it, and what was logged.

store.py (history, runs, review events, outcomes, a person's data), decisionlog.py (the
tamper-evident decision log, pseudonyms and replay). Below the application layer: app.py
records into them. May import: model, facts, catalog, audience, packs, errors, database.
"""
