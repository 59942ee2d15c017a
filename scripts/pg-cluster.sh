#!/bin/sh
# A throwaway PostgreSQL cluster for the tests (docs/storage.md):
#
#   scripts/pg-cluster.sh start DIR   initdb in DIR/data, start it on a free
#                                     loopback port (trust authentication,
#                                     its socket in DIR), print its URL
#   scripts/pg-cluster.sh url DIR     print the URL of the running cluster
#   scripts/pg-cluster.sh stop DIR    stop it and remove what start made
#
# The URL names the maintenance database, postgres; a test makes databases
# of its own in it. The cluster is for tests only: no fsync, no password.
# initdb refuses to run as root, so as root the server runs as the user
# postgres (Debian's postgresql package makes it), which must then own DIR;
# start gives it DIR when DIR is root's.
#
# Exit status 77 when the PostgreSQL server programs are not installed (the
# tests then report themselves skipped); 1 on any other failure.
set -eu

usage() {
	echo "usage: $0 start|url|stop DIR" >&2
	exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case $dir in
/*) ;;
*) dir=$(pwd)/$dir ;;
esac

# The server's programs: Debian keeps them off PATH, per major version.
bindir() {
	for d in "$(pg_config --bindir 2>/dev/null || true)" \
		$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(command -v initdb)"
		return 0
	fi
	return 1
}

# as_owner CMD... : runs a server program as the cluster's owner.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		if command -v runuser >/dev/null 2>&1; then
			(cd / && runuser -u postgres -- "$@")
		else
			(cd / && setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
		fi
	else
		"$@"
	fi
}

url() {
	[ -f "$dir/port" ] || {
		echo "$0: no cluster started in $dir" >&2
		exit 1
	}
	echo "postgresql://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
}

case $cmd in
start)
	bin=$(bindir) || {
		echo "$0: the PostgreSQL server programs (initdb, pg_ctl) are not installed" >&2
		exit 77
	}
	if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
		echo "$0: running as root needs the user postgres to run the server" >&2
		exit 77
	fi
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres "$dir"
		chmod 700 "$dir"
	fi
	[ -e "$dir/data" ] && {
		echo "$0: $dir/data exists; stop that cluster first" >&2
		exit 1
	}
	as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
		--no-locale --no-sync >"$dir/initdb.log" 2>&1 || {
		echo "$0: initdb failed:" >&2
		cat "$dir/initdb.log" >&2
		exit 1
	}
	opts="-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
	# A free port: try a few at random; the server says when one is taken.
	tries=0
	while :; do
		tries=$((tries + 1))
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000))
		if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
			-o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$dir' $opts" \
			start >/dev/null 2>&1; then
			break
		fi
		if [ "$tries" -ge 5 ]; then
			echo "$0: the server did not start:" >&2
			tail -n 20 "$dir/server.log" >&2
			exit 1
		fi
	done
	echo "$port" >"$dir/port"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir/port"
	url
	;;
url)
	url
	;;
stop)
	bin=$(bindir) || exit 0
	if [ -d "$dir/data" ]; then
		as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir/data" "$dir/port" "$dir/server.log" "$dir/initdb.log"
	;;
*)
	usage
	;;
esac
