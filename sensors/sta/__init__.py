"""
OGC SensorThings API v1.1 for kaiteki (docs/SENSORTHINGS.md).

- :mod:`sensors.sta.vocabulary`: ObservedProperties ↔ kaiteki variables, stable entity ids;
- :mod:`sensors.sta.catalog`: Things, Locations, Datastreams ... derived from the store;
- :mod:`sensors.sta.filter`: the ``$filter`` parser (recursive descent → parameterised SQL);
- :mod:`sensors.sta.query`: the read-only query engine behind ``/sta/v1.1``;
- :mod:`sensors.sta.client`: ``kaiteki collect sensorthings``, reading any SensorThings server.

Personal kinds (steps, questionnaires) are never exposed.
"""
