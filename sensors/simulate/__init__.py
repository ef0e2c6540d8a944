"""
Simulators of the sensing data that do not exist offline (every output labelled simulated).

No real street-level thermal readings, 15-minute people counts, dwell counts or questionnaires
of downtown Sapporo are available offline, so kaiteki simulates them with a fixed seed,
consistent with the real data: the daily weather and the Chi-Ka-Ho daily counts of each date
come from the real Sapporo file; the finer structure is modelled (``docs/SIMULATORS.md``).
Every table has ``simulated = True`` on every row.

- :func:`simulate_thermal`: a fixed station network on the area graph, readings for a year.
- :func:`simulate_flow`: Chi-Ka-Ho 15-minute counts per array and direction, and plaza dwell.
- :func:`simulate_survey`: questionnaire responses tied to the readings' UTCI.
- :func:`write_tables`: the CSV files of ``docs/DATA_FORMATS.md`` and a ``SIMULATED.json``.
"""

from sensors.simulate.files import MANIFEST, write_csv, write_tables
from sensors.simulate.flow import daily_means, simulate_flow
from sensors.simulate.stations import station_registry
from sensors.simulate.survey import places_from_registry, simulate_survey
from sensors.simulate.thermal import FAULT_RATES, FaultRates, ThermalModel, simulate_thermal

__all__ = [
    "FAULT_RATES",
    "MANIFEST",
    "FaultRates",
    "ThermalModel",
    "daily_means",
    "places_from_registry",
    "simulate_flow",
    "simulate_survey",
    "simulate_thermal",
    "station_registry",
    "write_csv",
    "write_tables",
]
