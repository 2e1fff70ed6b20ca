#!/usr/bin/env bash
# Kernel link emulation for the benchmark: two network namespaces joined by a userspace delay
# tunnel (lib/tundelay.py; sch_netem is not available here) with `tc tbf` for the rate.
#
#   netem.sh up STATE_DIR ONE_WAY_DELAY_MS RATE_MBIT   # prints nothing; exit 0 when usable
#   netem.sh down STATE_DIR
#
# Namespaces: pourbench-cli (client) and pourbench-srv (server). The server binds 127.0.0.1 in
# its namespace as usual. The client namespace keeps `lo` down and routes 127.0.0.0/8 into the
# tunnel, and both sides set route_localnet, so the very same http://127.0.0.1:PORT URLs (and the
# registry's redirects to its blob host) reach the server across the emulated link. Run the
# server with `ip netns exec pourbench-srv ...` and every client with `ip netns exec pourbench-cli ...`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# POUR_BENCH_NETNS_TAG=x names everything apart (pourbench-x-cli, pbtc-x…), so a second
# emulated link (another helper's trace) is not torn down by this one.
tag="${POUR_BENCH_NETNS_TAG:+-$POUR_BENCH_NETNS_TAG}"
CLI="pourbench${tag}-cli" SRV="pourbench${tag}-srv" TC="pbtc${tag}" TS="pbts${tag}"

down() {
  local state="$1"
  if [ -f "$state/tundelay.pid" ]; then
    kill "$(cat "$state/tundelay.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$(cat "$state/tundelay.pid")" 2>/dev/null || break; sleep 0.1; done
    rm -f "$state/tundelay.pid"
  fi
  ip netns del "$CLI" 2>/dev/null || true
  ip netns del "$SRV" 2>/dev/null || true
}

up() {
  local state="$1" delay="$2" rate="$3"
  mkdir -p "$state"
  down "$state"
  command -v ip >/dev/null && command -v tc >/dev/null || { echo "netem: ip/tc missing" >&2; return 1; }
  [ -c /dev/net/tun ] || { echo "netem: /dev/net/tun missing" >&2; return 1; }
  ip netns add "$CLI" && ip netns add "$SRV" || { echo "netem: cannot create network namespaces" >&2; return 1; }
  rm -f "$state/tundelay.ready"
  python3 "$here/tundelay.py" "$TC" "$TS" "$delay" "$state/tundelay.ready" </dev/null >/dev/null 2>"$state/tundelay.log" &
  echo $! >"$state/tundelay.pid"
  for _ in $(seq 1 50); do [ -f "$state/tundelay.ready" ] && break; sleep 0.1; done
  [ -f "$state/tundelay.ready" ] || { echo "netem: tundelay did not start: $(cat "$state/tundelay.log")" >&2; down "$state"; return 1; }
  ip link set "$TC" netns "$CLI"
  ip link set "$TS" netns "$SRV"
  # Client side: no loopback; 127.0.0.0/8 goes through the tunnel.
  ip netns exec "$CLI" sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0 "net.ipv4.conf.$TC.route_localnet=1" "net.ipv4.conf.$TC.rp_filter=0"
  ip -n "$CLI" addr add 10.200.0.1 peer 10.200.0.2 dev "$TC"
  ip -n "$CLI" link set "$TC" mtu 1500 up
  ip -n "$CLI" route add 127.0.0.0/8 dev "$TC" src 10.200.0.1
  # Server side: loopback up (the server binds 127.0.0.1), replies from 127.0.0.1 leave by the tunnel.
  ip -n "$SRV" link set lo up
  ip netns exec "$SRV" sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.all.rp_filter=0 \
    net.ipv4.conf.default.rp_filter=0 "net.ipv4.conf.$TS.route_localnet=1" "net.ipv4.conf.$TS.rp_filter=0"
  ip -n "$SRV" addr add 10.200.0.2 peer 10.200.0.1 dev "$TS"
  ip -n "$SRV" link set "$TS" mtu 1500 up
  if [ "$rate" != "0" ]; then
    # Rate in both directions; the server→client direction carries the bottles.
    ip netns exec "$SRV" tc qdisc add dev "$TS" root tbf rate "${rate}mbit" burst 32kb latency 50ms
    ip netns exec "$CLI" tc qdisc add dev "$TC" root tbf rate "${rate}mbit" burst 32kb latency 50ms
  fi
}

case "${1:-}" in
  up) up "$2" "$3" "$4" ;;
  down) down "$2" ;;
  *) echo "usage: netem.sh up STATE_DIR DELAY_MS RATE_MBIT | down STATE_DIR" >&2; exit 2 ;;
esac
