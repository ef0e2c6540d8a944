"""
The store's backends behind :class:`sensors.store.Store`.

- :mod:`sensors.storage.readers`: the research readers (``readings()``, ``table()`` ...), the
  same SQL on both backends;
- :mod:`sensors.storage.postgres`: PostgreSQL + PostGIS (``KAITEKI_STORE=postgresql://...``):
  connection, migrations, ``COPY`` writes, monthly partitions, frames;
- :mod:`sensors.storage.postgres_sql`: the PostgreSQL forms of the migrations whose SQL differs
  from the portable one, and the translation of DuckDB column types;
- :mod:`sensors.storage.checksums`: row counts and order-independent checksums of every table
  (``kaiteki store info|copy``).

The embedded DuckDB file stays the default; :class:`sensors.store.Store` is its backend.
"""
