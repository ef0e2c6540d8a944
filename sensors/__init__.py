"""
Data in for kaiteki: one adapter per source format, quality control, the DuckDB store,
simulators, and loading of the planning area and walking network.
"""
