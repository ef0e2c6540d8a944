"""Cell sources of the kaiteki notebooks (see ``_build.py``); ``# md`` starts a markdown cell."""

from __future__ import annotations

from _cells_demo import NB01, NB04
from _cells_real import NB02, NB03, NB05

NOTEBOOKS: dict[str, list[str]] = {
    "01_thermal_sensation.ipynb": NB01,
    "02_chikaho_people_flow.ipynb": NB02,
    "03_steps_kpi.ipynb": NB03,
    "04_comfort_field.ipynb": NB04,
    "05_people_flow_mesh.ipynb": NB05,
}
