"""The project's own tests run on the built-in packs alone: the example plugins in
plugins/, when installed, are switched off here (their own tests turn them on)."""

import importlib.metadata
import os

# only the installed ones: a name that is no plugin is an error (with a did-you-mean)
_EXAMPLES = {"acme", "lms"} & {ep.name for ep in importlib.metadata.entry_points(group="devrecs")}
os.environ["DEVRECS_DISABLE_PLUGINS"] = ",".join(sorted(_EXAMPLES))
