#!/bin/sh
# Evidence other than packages, on temporary roots: hand-copied binaries
# versus Desktop's links, enablement links of docker.socket (and --fix with
# the real systemctl --root), /var/run/docker.sock and who serves it (a
# /proc tree in the kernel's format), DOCKER_HOST and the docker context
# from the tree's files,
# /etc/wsl.conf and the docker-desktop distro.
. "${top_srcdir:?}/tests/conflicts/lib.sh"

R=$TMP/root
mkdir -p "$R/usr/local/bin" "$R/usr/bin" "$R/etc"
printf 'ID=debian\n' >"$R/etc/os-release"
printf '#!/bin/sh\n' >"$R/usr/local/bin/docker"; chmod +x "$R/usr/local/bin/docker"
ln -s /mnt/wsl/docker-desktop/cli-tools/usr/bin/docker "$R/usr/bin/docker"

check "$R"
check_rc 1 "hand-copied docker"
expect '.findings[] | select(.kind == "binary" and .name == "docker" and .evidence.file == "/usr/local/bin/docker"
	and .remedy == "sudo rm /usr/local/bin/docker")' "hand-copied binary not reported"
expect_not '.findings[] | select(.kind == "binary" and .evidence.file == "/usr/bin/docker")' "Desktop link reported"
rm "$R/usr/local/bin/docker"
check "$R"
check_rc 0 "Desktop link only"
ok "binaries: hand-copied flagged, Desktop's link not"

# Absolute links inside the tree resolve inside it, never to this system:
# usr/local/sbin -> $TMP/outside (which holds a dockerd) and var/run -> /run.
mkdir -p "$TMP/outside" "$R/var"
printf '#!/bin/sh\n' >"$TMP/outside/dockerd"; chmod +x "$TMP/outside/dockerd"
ln -s "$TMP/outside" "$R/usr/local/sbin"
ln -s /run "$R/var/run"
check "$R"
check_rc 0 "absolute links stay in the root"
expect_not '.findings[] | select(.kind == "binary" or .kind == "socket")' "followed a link out of the root"
mkdir -p "$R$TMP/outside"
cp "$TMP/outside/dockerd" "$R$TMP/outside/dockerd"
check "$R"
expect ".findings[] | select(.kind == \"binary\" and .evidence.file == \"/usr/local/sbin/dockerd\")" \
	"binary behind an absolute link inside the root not found"
rm -rf "$R/usr/local/sbin" "$R/var/run" "$R${TMP%/*}"
ok "absolute links resolve inside the root"

# Enablement links, as systemctl enable makes them.
mkdir -p "$R/lib/systemd/system" "$R/etc/systemd/system/sockets.target.wants"
printf '[Socket]\nListenStream=/run/docker.sock\n[Install]\nWantedBy=sockets.target\n' >"$R/lib/systemd/system/docker.socket"
ln -s /lib/systemd/system/docker.socket "$R/etc/systemd/system/sockets.target.wants/docker.socket"
check "$R"
check_rc 1 "docker.socket enabled"
expect '.findings[] | select(.kind == "service" and .name == "docker.socket"
	and .evidence.file == "/etc/systemd/system/sockets.target.wants/docker.socket"
	and .remedy == "sudo systemctl disable --now docker.socket")' "enabled docker.socket not reported"
if command -v systemctl >/dev/null; then
	agent conflicts --root "$R" --fix --yes </dev/null >"$TMP/fix.out" 2>&1; rc=$?
	[ "$rc" -eq 0 ] || { cat "$TMP/fix.out"; fail "systemctl --root disable: exit $rc"; }
	[ ! -e "$R/etc/systemd/system/sockets.target.wants/docker.socket" ] || fail "--fix left the link"
	ok "units: enabled docker.socket found and disabled by systemctl --root"
else
	rm "$R/etc/systemd/system/sockets.target.wants/docker.socket"
	echo "note: systemctl not installed, --fix for units not exercised"
fi

# docker.sock: unknown owner without /proc; dockerd or Desktop's proxy with
# a /proc tree in the kernel's format.
mkdir -p "$R/var/run"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$R/var/run/docker.sock" \
	|| skip "cannot create a unix socket"
check "$R"
check_rc 0 "socket, owner unknown"
expect '.findings[] | select(.id == "socket-owner-unknown" and .severity == "info")' "unknown owner not reported"
mkdir -p "$R/proc/net" "$R/proc/42/fd"
printf 'Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 12345 /var/run/docker.sock\n' \
	>"$R/proc/net/unix"
ln -s 'socket:[12345]' "$R/proc/42/fd/3"
printf 'dockerd\0-H\0unix:///var/run/docker.sock\0' >"$R/proc/42/cmdline"
check "$R"
check_rc 1 "socket served by dockerd"
expect '.findings[] | select(.id == "socket-not-desktop" and .evidence.value == "listener pid 42: dockerd -H unix:///var/run/docker.sock "
	and .remedy == "sudo kill 42")' "dockerd's socket not reported"
printf '/mnt/wsl/docker-desktop/docker-desktop-user-distro\0proxy\0--docker-desktop-root\0/mnt/wsl/docker-desktop\0' \
	>"$R/proc/42/cmdline"
check "$R"
check_rc 0 "socket served by Desktop's proxy"
rm -rf "$R/proc" "$R/var/run/docker.sock"
ok "docker.sock: unknown owner, dockerd, Desktop's proxy"

# DOCKER_HOST, DOCKER_CONTEXT and the current context, from the tree: its
# /etc/environment, shell profiles and users' ~/.docker.  The caller's own
# environment says nothing about the tree and is never used under --root.
mkdir -p "$R/home/u/.docker"
printf '{"auths": {}, "currentContext": "remote-engine"}\n' >"$R/home/u/.docker/config.json"
printf 'PATH="/usr/local/bin:/usr/bin"\nDOCKER_HOST="tcp://127.0.0.1:2375"\n' >"$R/etc/environment"
printf '# a profile\nexport DOCKER_CONTEXT=default\nexport DOCKER_HOST=$(cat /x)\n' >"$R/home/u/.profile"
OUT=$(env -u DOCKER_CONFIG HOME=/nonexistent DOCKER_HOST=tcp://1.2.3.4:2375 DOCKER_CONTEXT=evil \
	"$AGENT" conflicts --json --root "$R" 2>/dev/null); RC=$?
check_rc 1 "environment and context"
expect '.findings[] | select(.kind == "environment" and .name == "DOCKER_HOST"
	and .evidence.value == "DOCKER_HOST=tcp://127.0.0.1:2375" and .evidence.file == "/etc/environment:2"
	and .remedy == "unset DOCKER_HOST")' "DOCKER_HOST from /etc/environment"
expect_not '.findings[] | select(.evidence.value == "DOCKER_HOST=tcp://1.2.3.4:2375")' \
	"the caller's DOCKER_HOST judged the tree"
expect_not '.findings[] | select(.name == "DOCKER_CONTEXT")' "DOCKER_CONTEXT=default (or the caller's) flagged"
expect '.findings[] | select(.id == "environment-from-files")' "no note that the environment came from files"
expect '.findings[] | select(.kind == "context" and .name == "remote-engine"
	and .evidence.file == "/home/u/.docker/config.json" and .remedy == "docker context use default")' "context"
expect '.schema_version == 1' "conflicts --json has no schema_version"
printf '{"currentContext": "default"}\n' >"$R/home/u/.docker/config.json"
rm "$R/etc/environment" "$R/home/u/.profile"
OUT=$(env -u DOCKER_CONFIG HOME=/nonexistent DOCKER_HOST=tcp://1.2.3.4:2375 "$AGENT" conflicts --json \
	--root "$R" 2>/dev/null); RC=$?
check_rc 0 "default context, the caller's DOCKER_HOST ignored"
ok "DOCKER_HOST, DOCKER_CONTEXT, current context: from the tree"

# An empty tree (no os-release, no package database) could not be checked.
mkdir "$TMP/empty"
OUT=$(agent conflicts --json --root "$TMP/empty" 2>/dev/null); RC=$?
check_rc 1 "empty root"
expect '.findings[] | select(.id == "distro-not-checked" and .severity == "warning")' "empty root passed as clean"
TEXT=$(agent conflicts --root "$TMP/empty" 2>/dev/null)
case $TEXT in *"could not be checked"*) ;; *) fail "empty root text: $TEXT" ;; esac
ok "empty root: could not be checked, exit 1"

# /etc/wsl.conf and the docker-desktop distro.
printf '[automount]\nenabled = true\n\n[boot]\n  systemd = true\n' >"$R/etc/wsl.conf"
check "$R"
check_rc 0 "wsl.conf is information"
expect '.findings[] | select(.id == "wslconf-systemd" and .evidence.file == "/etc/wsl.conf:5"
	and .evidence.value == "systemd=true")' "wsl.conf systemd setting"
OUT=$(env -u DOCKER_HOST HOME=/nonexistent WSL_DISTRO_NAME=docker-desktop "$AGENT" conflicts --json --root "$R" 2>/dev/null); RC=$?
check_rc 1 "docker-desktop distro"
expect '.findings[] | select(.id == "desktop-internal-distro" and .kind == "distro" and .name == "docker-desktop")' \
	"docker-desktop distro not reported"
ok "wsl.conf systemd setting and docker-desktop distro"
