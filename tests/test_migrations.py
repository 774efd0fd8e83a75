"""The migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import include_in_autogenerate
from core.extensions import db


def test_the_migrated_database_matches_the_models(app):
    with db.engine.connect() as connection, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # alembic notes the expression index it cannot compare
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": include_in_autogenerate})
        differences = compare_metadata(context, db.metadata)
    assert differences == []
