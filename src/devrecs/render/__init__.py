"""Rendering: explanations and recommendation lists as text, markdown and JSON.

explanations.py (the formats of an Explanation), listing.py (the recommendation tables).
May import: explain, model, catalog, audience. Never the engine's internals, plugins or intake.
"""
