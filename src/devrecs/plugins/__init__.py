"""Plugins: the pluggy hook specifications and the manager with its typed facade.

hookspecs.py (the hooks a plugin can implement, and hookimpl), manager.py (entry points, the
local plugins folder, the built-in plugins, and Plugins, which calls every hook through pm.hook).
Only the application layer (app.py) and what stands above it import plugins.
"""
