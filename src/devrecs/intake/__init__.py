"""Intake: every way a person comes in, as one pipeline of records to Persons or rejects.

pipeline.py (Reader, Reject, open_records), mapping.py (mapping files), sources/ (CSV, JSON,
JSON Lines, YAML, SQL, Parquet), peoplefile.py (a whole small file in memory).
May import: model, people, facts, numeric, text, errors, database, rulefile.located. Only the
application layer (app.py) and what stands above it (batch, frames, service, cli) import intake.
"""
