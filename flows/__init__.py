"""Prefect flows and tasks: thin wiring over transforms/."""
