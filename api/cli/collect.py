"""
``kaiteki collect``: live collection into the store.

``kaiteki collect mqtt`` subscribes to an MQTT broker (QoS 1, persistent session), checks each
message with the ingest adapters and QC, commits micro-batches and only then acknowledges them
(docs/LIVE.md). Other sources register their commands on :data:`collect_app` from their own
modules (``collect_*.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from api.cli._common import console, print_json, settings

collect_app = typer.Typer(
    help="Collect live readings (MQTT, SensorThings) into the store.", no_args_is_help=True
)


def _say(text: str) -> None:
    """One progress line on stderr (plain, unwrapped: scripts read it)."""
    sys.stderr.write(f"collect: {text}\n")
    sys.stderr.flush()


@collect_app.command("mqtt")
def mqtt(
    broker: Annotated[
        str | None,
        typer.Option(
            "--broker", help="mqtt[s]://[user:pass@]HOST[:PORT] (default KAITEKI_MQTT_URL)."
        ),
    ] = None,
    topic: Annotated[
        str | None,
        typer.Option(
            "--topic", help="Topic filter, e.g. 'kaiteki/thermal/#' (default KAITEKI_MQTT_TOPIC)."
        ),
    ] = None,
    kind: Annotated[str, typer.Option("--kind", help="thermal, flow or dwell.")] = "thermal",
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="kaiteki (JSON records), ttn (The Things Stack) or sensorthings."
        ),
    ] = "kaiteki",
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="Mapping file for ttn/sensorthings (ttn default: sensors/data/ttn_mapping.json).",
        ),
    ] = None,
    once: Annotated[
        bool,
        typer.Option(
            "--once", help="Stop when no message came for --idle-seconds (drain the queue)."
        ),
    ] = False,
    idle_seconds: Annotated[float, typer.Option("--idle-seconds", min=0.1)] = 2.0,
    max_messages: Annotated[
        int | None, typer.Option("--max-messages", min=1, help="Stop after this many messages.")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Messages per batch.")
    ] = 2000,
    batch_seconds: Annotated[
        float,
        typer.Option(
            "--batch-seconds", min=0.01, help="Longest wait (s) before a batch is committed."
        ),
    ] = 1.0,
    client_id: Annotated[
        str | None,
        typer.Option("--client-id", help="Session client id (default KAITEKI_MQTT_CLIENT_ID)."),
    ] = None,
    update_field: Annotated[
        bool,
        typer.Option(
            "--update-field",
            help="Refresh the comfort field of the new hours every KAITEKI_FIELD_UPDATE_S.",
        ),
    ] = False,
    no_area: Annotated[bool, typer.Option("--no-area", help="Skip the outside-area test.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the totals as one JSON object.")
    ] = False,
) -> None:
    """Subscribe to an MQTT broker and store each reading exactly once, with QC."""
    import signal

    from sensors.collect import TTN_MAPPING, load_mapping
    from sensors.collect.formats import COLLECT_KINDS, FORMATS
    from sensors.collect.mqtt_ import Collector, CollectorConfig

    s = settings()
    if kind not in COLLECT_KINDS:
        raise typer.BadParameter(f"--kind must be one of {list(COLLECT_KINDS)}; got {kind!r}.")
    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {list(FORMATS)}; got {fmt!r}.")
    table = None
    if fmt == "ttn":
        table = load_mapping(mapping or TTN_MAPPING, fmt)
    elif fmt == "sensorthings":
        if mapping is None:
            raise typer.BadParameter("--format sensorthings needs --mapping FILE (docs/LIVE.md).")
        table = load_mapping(mapping, fmt)
    area = None
    if not no_area:
        from api.cli.ingest import _area

        area = _area()
    config = CollectorConfig(
        broker_url=broker or s.mqtt_url, topic=topic or s.mqtt_topic, store_path=s.store,
        kind=kind, fmt=fmt, mapping=table, client_id=client_id or s.mqtt_client_id,
        batch_size=batch_size, batch_seconds=batch_seconds, once=once,
        idle_seconds=idle_seconds, max_messages=max_messages, store_wait_s=max(s.store_wait_s, 10.0),
        area=area, pseudonym_key=s.pseudonym_key,
    )  # fmt: skip
    after = None
    if update_field:
        from api.cli.comfort_update import run_update
        from sensors.fieldupdate import PeriodicUpdate

        hours = max(2, int(s.field_update_s // 3600) + 2)
        after = PeriodicUpdate(lambda: run_update(hours), every_s=s.field_update_s, say=_say)
    collector = Collector(config, on_event=_say, after_batch=after)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: collector.stop())
    stats = collector.run()
    if after is not None:
        after.flush()
    totals = {
        "messages": stats.messages, "batches": stats.batches, "stored": stats.stored,
        "flagged": stats.flagged, "quarantined": stats.quarantined, "refused": stats.rejected,
        "duplicates": stats.duplicates, "connects": stats.connects,
        "seconds": round(stats.seconds, 2), "seconds_busy": round(stats.busy_seconds, 3),
    }  # fmt: skip
    if as_json:
        print_json(totals)
    else:
        console.print(
            f"{stats.messages:,} messages in {stats.batches} batches: {stats.stored:,} rows stored "
            f"({stats.flagged:,} flagged), {stats.quarantined:,} rows quarantined, "
            f"{stats.rejected:,} messages refused, {stats.duplicates:,} duplicates skipped."
        )


def register(app: typer.Typer) -> None:
    """Add the ``collect`` group to the CLI."""
    app.add_typer(collect_app, name="collect")
