"""Backups of the database and the run rasters in one archive (archive.py), and the PostgreSQL
tools they use (postgres.py). ``riskmap db backup`` / ``riskmap db restore`` call these."""

from backend.backup.archive import backup, restore, sha256
from backend.backup.postgres import BackupError, connect, find_tool, table_counts

__all__ = ["BackupError", "backup", "connect", "find_tool", "restore", "sha256", "table_counts"]
