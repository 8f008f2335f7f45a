"""The rule language: located YAML, condition trees, parsing and compiling to durable-rules."""
