"""Users, login, roles and personal API tokens."""
