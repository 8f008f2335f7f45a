"""python -m devrecs.cli: the command line."""

from . import cli

cli(prog_name="devrecs")
