"""Saphan core: settings, database, migrations, process supervision and the admin CLI."""
