"""A small Django application (authors, their books, reviews of the books) that knows nothing
about Tombstone: its models have no deleted_at field. The raw SQL migration adds the marker
columns and replaces the unique email with a partial unique index, as `tombstone migrate`
would."""
