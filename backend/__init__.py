"""riskmap backend: the FastAPI service, database models, services and the CLI."""
