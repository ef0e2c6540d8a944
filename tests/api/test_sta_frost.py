"""An independent SensorThings client (frost-sta-client, Fraunhofer IOSB) reads kaiteki's
/sta/v1.1 served by a real uvicorn on a free port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn

from api.services import sta as sta_service
from api.settings import Settings
from tests.api.test_sta import HOURS, make_store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from api.app import create_app

    tmp = tmp_path_factory.mktemp("frost")
    store = make_store(tmp / "kaiteki.duckdb")
    settings = Settings(store=store, cache_dir=tmp / "cache")
    sta_service.clear()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        thread.join(0.05)
    yield f"http://127.0.0.1:{port}/sta/v1.1"
    server.should_exit = True
    thread.join()


# frost-sta-client calls furl's deprecated ``pathstr``: the third party's warning, not ours
@pytest.mark.filterwarnings("ignore:furl.pathstr is deprecated:DeprecationWarning")
def test_frost_client_reads_things_datastreams_and_observations(served: str) -> None:
    import frost_sta_client as fsc

    service = fsc.SensorThingsService(served)
    things = list(service.things().query().list())
    assert sorted(t.name for t in things) == ["Ekimae-dori", "L-SOUTH1", "Odori West 3"]
    odori = next(t for t in things if t.name == "Odori West 3")
    assert odori.properties["simulated"] is True
    datastreams = list(service.datastreams().query().filter("name eq 'ODORI-01 air_temp_c'").list())
    assert len(datastreams) == 1
    ds = datastreams[0]
    assert ds.unit_of_measurement.symbol == "degC"
    # every observation, page after page (@iot.nextLink followed by the client)
    observations = list(ds.get_observations().query().top(10).list())
    assert len(observations) == HOURS
    assert len({o.id for o in observations}) == HOURS
    assert all(isinstance(o.result, float) for o in observations)
    latest = list(ds.get_observations().query().orderby("phenomenonTime", "desc").top(3).list())
    assert len(latest) >= 3
    assert latest[0].phenomenon_time >= latest[1].phenomenon_time
    all_ds = list(service.datastreams().query().list())
    assert len(all_ds) == 5 + 4 + 2  # Odori 5 variables, Ekimae 4, two count directions
