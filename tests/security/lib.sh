# shellcheck shell=sh
# Sourced by the agent's security tests (tests/security/agent-*.sh): each
# reproduces an attack by an unprivileged user (`nobody`, through setpriv)
# on the root daemon and checks that it now fails.  The daemons get a
# private leader lock and control socket under $WORK.
set -u
. "${top_srcdir:?run through make check}/tests/service/lib.sh"

# as_nobody CMD...: CMD as uid/gid 65534 with no supplementary groups and
# no capabilities (what any local account can do).
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all -- "$@"
}
NOBODY_PY=/usr/bin/python3
