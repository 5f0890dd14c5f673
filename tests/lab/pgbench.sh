# pgbench.sh - pgbench load on the lab's app database (sourced by tests/lab/data.sh).
#
#   pgbench_up                  pgbench's tables (scale 1, owned by app) in the app database
#                               on the primary, when they are missing; called by data_up,
#                               so `lab up` on a lab that is already up adds them
#   pgbench_load SECONDS [TPS] [CLIENTS]
#                               pgbench as app on the primary for SECONDS at about TPS
#                               transactions a second (default 300, 4 clients), in the
#                               foreground; its summary on stdout
#   pgbench_status              one line: the tables are there, or not
#
# The swarmdeck role gets pg_signal_backend here too (pg.cancel / pg.terminate), granted
# again on every up. Connections go over TCP as app with the app's password file.

PGBENCH_BIN=${PGBENCH_BIN:-$(command -v pgbench 2>/dev/null || echo "$DATA_PGBIN/pgbench")}

_pgbench_addr() { # the primary's address
	local member
	member=$(data_pg_primary) || return 1
	_data_addr "$(_data_pg_node "$member")"
}

_pgbench_env() {
	PGPASSFILE=$DATA_SECRETS/pg-app.pgpass PGCONNECT_TIMEOUT=3 "$@"
}

pgbench_up() {
	local addr primary
	primary=$(data_pg_primary) || { _data_say "pgbench: no primary"; return 1; }
	_data_pg_admin "$primary" postgres >/dev/null <<'SQL' || _data_say "pgbench: could not grant pg_signal_backend"
grant pg_signal_backend to swarmdeck;
SQL
	addr=$(_pgbench_addr) || return 1
	if [ "$(data_psql primary "select to_regclass('public.pgbench_accounts') is not null" 2>/dev/null)" = t ]; then
		return 0
	fi
	PGOPTIONS='-c synchronous_commit=local' _pgbench_env "$PGBENCH_BIN" -i -s 1 -q \
		-h "$addr" -p 5432 -U app app >/dev/null 2>&1 ||
		{ _data_say "pgbench: initialisation failed"; return 1; }
	_data_say "pgbench tables in the app database"
}

pgbench_load() { # SECONDS [TPS] [CLIENTS]
	local addr
	addr=$(_pgbench_addr) || { _data_say "pgbench: no primary"; return 1; }
	_pgbench_env "$PGBENCH_BIN" -n -T "${1:-10}" -R "${2:-300}" -c "${3:-4}" -j 1 \
		-h "$addr" -p 5432 -U app app 2>&1
}

pgbench_status() {
	if [ "$(data_psql primary "select to_regclass('public.pgbench_accounts') is not null" 2>/dev/null)" = t ]; then
		echo "pgbench: tables in app"
	else
		echo "pgbench: no tables (lab up adds them)"
	fi
}
