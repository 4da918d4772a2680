"""Hazard pipelines: pure functions over xarray objects; ``run.py`` publishes a run."""
