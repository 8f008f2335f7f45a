"""The engine: evaluates valid Persons (and team and organization facts) against compiled rules.

core.py holds RuleEngine (compile once, match, resolve, evidence); durable.py is the only
importer of durable-rules; resolve.py turns the rules that fired into an ordered, focused list.
May import: model, facts, people, numeric, catalog, org, errors, rulefile. Never plugins,
intake, explain, audience, render, oversight, authoring, batch, app or cli.
"""
