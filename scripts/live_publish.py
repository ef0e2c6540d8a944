"""
The simulated sensor network of ``make live``: replays the thermal simulator's readings as if
they were measured now, publishing each reading (marked ``"simulated": true``) to
``kaiteki/thermal/<sensor_id>`` when it falls due.

Reading time t of the simulated year is mapped to now by keeping the calendar day and the time
of day; ``--speed 60`` makes one real second one simulated minute. Usage:

    python scripts/live_publish.py READINGS.csv --broker mqtt://127.0.0.1:1883 [--speed 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import pandas as pd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("readings", help="thermal_readings_<year>.csv from `kaiteki simulate thermal`")
    ap.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    ap.add_argument("--topic-prefix", default="kaiteki/thermal")
    ap.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second")
    ap.add_argument("--backfill-h", type=float, default=2.0, help="hours published at once first")
    args = ap.parse_args()

    import paho.mqtt.client as mqtt

    from sensors.collect.mqtt_ import parse_broker_url

    host, port, user, password, _tls = parse_broker_url(args.broker)
    df = pd.read_csv(args.readings)
    t = pd.to_datetime(df["time"], format="ISO8601")
    t = t.dt.tz_convert("Asia/Tokyo") if t.dt.tz is not None else t.dt.tz_localize("Asia/Tokyo")
    start_real = pd.Timestamp.now(tz="Asia/Tokyo")
    sim_year = int(t.dt.year.mode()[0])
    # the simulated moment that corresponds to now: same calendar day and time of day
    anchor = (
        start_real.replace(year=sim_year)
        if not (start_real.month == 2 and start_real.day == 29)
        else start_real.replace(year=sim_year, day=28)
    )
    shift = start_real - anchor
    df["t"] = t
    df = df[df["t"] >= anchor - pd.Timedelta(hours=args.backfill_h)].sort_values("t")
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311
    )
    if user:
        client.username_pw_set(user, password)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    cols = [c for c in df.columns if c not in ("t", "time", "simulated")]
    sent = 0
    t0 = time.monotonic()
    print(
        f"live: publishing SIMULATED readings of {sim_year} as now, speed x{args.speed:g}",
        file=sys.stderr,
    )
    for row in df.itertuples(index=False):
        due_s = (row.t - anchor).total_seconds() / args.speed
        wait = due_s - (time.monotonic() - t0)
        if wait > 0:
            time.sleep(wait)
        real_time = start_real + (row.t - anchor) / args.speed if args.speed != 1 else row.t + shift
        rec = {c: getattr(row, c) for c in cols if pd.notna(getattr(row, c))}
        rec = {k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
        rec["time"] = pd.Timestamp(real_time).floor("s").isoformat()
        rec["simulated"] = True
        client.publish(f"{args.topic_prefix}/{rec['sensor_id']}", json.dumps(rec), qos=1)
        sent += 1
        if sent % 100 == 0:
            print(f"live: {sent} simulated readings published", file=sys.stderr)
    client.loop_stop()


if __name__ == "__main__":
    main()
