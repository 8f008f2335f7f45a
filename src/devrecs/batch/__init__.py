"""Batch runs: every record of a source, streamed through the application layer.

runner.py (run_batch, workers, writers, duplicate ids), progress.py (the progress bar),
stopping.py (stop between rows on a signal). Stands above app.py.
"""
