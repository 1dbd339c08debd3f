"""Alembic migrations of the saved-DM schema; `app/history/migrate.py` runs them at start-up."""
