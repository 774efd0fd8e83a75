"""Member search by a two-character (often Chinese) name part, served by an index.

pg_trgm cannot index a two-character pattern — and most Chinese names are two or three characters —
so such a search scanned every user on the platform. An index of each name's two-character chunks
("王芳" → {王芳}, "Emma" → {em, mm, ma}) lets ``name_bigrams(display_name) @> name_bigrams(:q)``
narrow the candidates before ILIKE confirms them. PostgreSQL only; SQLite scans, as it always did.

Revision ID: 5b2f0c1d9e7a
Revises: ce0d4fcbe81b
"""

from alembic import op

revision = "5b2f0c1d9e7a"
down_revision = "ce0d4fcbe81b"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION name_bigrams(name text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT substr(lower(name), i, 2)), '{}')
            FROM generate_series(1, char_length(name) - 1) AS i
        $$
    """)
    op.execute("CREATE INDEX ix_users_display_name_bigrams ON users USING gin (name_bigrams(display_name))")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_users_display_name_bigrams")
    op.execute("DROP FUNCTION name_bigrams(text)")
