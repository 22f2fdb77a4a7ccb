# pg.sh: a throw-away PostgreSQL cluster for one test run. PostgreSQL refuses
# to run as root, so the cluster belongs to a dedicated user; it listens on a
# free loopback port and is removed by pg_stop. Sets BULWARK_TEST_PG.
PG_DIR="" PG_BIN=""

pg_free_port() {
  local p
  for p in $(shuf -i 20000-40000 -n 50); do
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

pg_start() {
  PG_BIN=$(pg_config --bindir 2>/dev/null)
  [ -x "$PG_BIN/initdb" ] || PG_BIN=/usr/lib/postgresql/15/bin
  [ -x "$PG_BIN/initdb" ] || return 1
  local user=bulwark-test
  if [ "$(id -u)" -eq 0 ]; then
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user" || return 1
  else
    user=$(id -un)
  fi
  PG_DIR=$(mktemp -d /tmp/bulwark-pg.XXXXXX)
  chmod 755 "$PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown "$user" "$PG_DIR"
  local as=(); [ "$(id -u)" -eq 0 ] && as=(runuser -u "$user" --)
  "${as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U bulwark --auth=trust -E UTF8 --locale=C.UTF-8 >"$OUT/pg.log" 2>&1 || { pg_stop; return 1; }
  # a free port can be taken between the look and the bind: try a few
  local port try
  for try in 1 2 3 4 5; do
    port=$(pg_free_port) || continue
    if "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >>"$OUT/pg.log" 2>&1; then
      break
    fi
    port=""
  done
  [ -n "$port" ] || { pg_stop; return 1; }
  "${as[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U bulwark bulwark_test >>"$OUT/pg.log" 2>&1 || { pg_stop; return 1; }
  export BULWARK_TEST_PG="postgresql://bulwark@127.0.0.1:$port/bulwark_test"
  export BULWARK_TEST_PG_ADMIN="postgresql://bulwark@127.0.0.1:$port/postgres"
}

pg_stop() {
  [ -n "$PG_DIR" ] || return 0
  local as=(); [ "$(id -u)" -eq 0 ] && as=(runuser -u bulwark-test --)
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$PG_DIR"
  PG_DIR=""
}
