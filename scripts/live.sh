#!/usr/bin/env bash
# make live: a local MQTT broker (the one on 127.0.0.1:1883 when it runs, else Debian's
# mosquitto started here), a SIMULATED sensor network publishing the simulator's readings as
# if measured now (SPEED x real time), the collector (kaiteki collect mqtt --update-field) and
# the app on http://$HOST:$PORT. Ctrl-C stops everything this script started. docs/LIVE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
KAITEKI=.venv/bin/kaiteki
SPEED=${SPEED:-1}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
LIVE=${KAITEKI_LIVE_DIR:-var/live}
YEAR=$($PY -c "from api.settings import get_settings; print(get_settings().demo_year)")
mkdir -p "$LIVE"
pids=()
stop() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "live: stopped"
}
trap stop INT TERM EXIT

if (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
    BROKER=mqtt://127.0.0.1:1883
    echo "live: using the broker on 127.0.0.1:1883"
else
    BPORT=${LIVE_BROKER_PORT:-18830}
    cat >"$LIVE/mosquitto.conf" <<CONF
listener $BPORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $PWD/$LIVE/
max_queued_messages 0
log_dest none
CONF
    # as root, Mosquitto would drop to user 'mosquitto' and could not write its persistence file
    if [ "$(id -u)" = 0 ]; then echo "user root" >>"$LIVE/mosquitto.conf"; fi
    /usr/sbin/mosquitto -c "$LIVE/mosquitto.conf" & pids+=($!)
    BROKER=mqtt://127.0.0.1:$BPORT
    echo "live: started mosquitto on 127.0.0.1:$BPORT"
fi
export KAITEKI_MQTT_URL=$BROKER

SIM="$LIVE/sim"
if [ ! -f "$SIM/thermal_readings_$YEAR.csv" ]; then
    $KAITEKI simulate thermal --year "$YEAR" --interval-min 10 --out "$SIM"
fi
$KAITEKI ingest sensors "$SIM/thermal_sensors_$YEAR.csv" >/dev/null 2>&1 || true

$KAITEKI collect mqtt --topic 'kaiteki/thermal/#' --client-id kaiteki-live --update-field & pids+=($!)
$PY scripts/live_publish.py "$SIM/thermal_readings_$YEAR.csv" --broker "$BROKER" --speed "$SPEED" & pids+=($!)
$KAITEKI serve --host "$HOST" --port "$PORT" & pids+=($!)
echo "live: SIMULATED readings arriving; open http://$HOST:$PORT (Ctrl-C stops all)"
wait
