"""
Pure comfort science for kaiteki.

Thermal indices, the space–time comfort field, walkability, routing and KPIs, all on arrays,
DataFrames, xarray Datasets and graphs. No I/O, no settings: this layer imports none of
``sensors``, ``maps`` or ``api``.
"""
