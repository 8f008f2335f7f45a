"""The project's own tests run on the built-in packs alone: the example plugins in
plugins/, when installed, are switched off here (their own tests turn them on)."""

import os

os.environ["DEVRECS_DISABLE_PLUGINS"] = "acme,lms"
