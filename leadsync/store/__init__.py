"""The durable state: SQLAlchemy models, engine set-up, migrations and small repositories."""
