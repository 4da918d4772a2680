"""``python -m backend.cli`` runs the ``riskmap`` command line."""

from backend.cli import main

main()
