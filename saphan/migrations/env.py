"""Alembic environment: one history for all app tables.

The migration scripts need no models; `target_metadata` (used only to compare or autogenerate)
is whatever model modules the caller loaded, normally all of them via `cli.models.load_all()`.
"""

from alembic import context

from saphan.db import Base, make_engine

target_metadata = Base.metadata
url = context.config.get_main_option("sqlalchemy.url")


def run_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
