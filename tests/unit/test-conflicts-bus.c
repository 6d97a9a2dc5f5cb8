/* SPDX-License-Identifier: MIT */
/* conflicts_units_from_bus() against a stand-in for systemd's Manager and
 * Unit interfaces on a private dbus-daemon (this machine runs no systemd):
 * enabled-but-inactive, disabled-but-active and not-installed units. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"
#include <systemd/sd-bus.h>

#include "conflicts/conflicts.h"
#include "shared/util.h"

#define SD "org.freedesktop.systemd1"

static const struct {
	const char *unit, *file_state, *active;  /* file_state NULL: no unit file */
} fake_units[] = {
	{ "docker.service", "enabled", "inactive" },
	{ "docker.socket", "disabled", "active" },
	{ "containerd.service", NULL, "inactive" },
};

static int find_unit(const char *name)
{
	for (size_t i = 0; i < sizeof(fake_units) / sizeof(fake_units[0]); i++)
		if (!strcmp(fake_units[i].unit, name))
			return (int)i;
	return -1;
}

static int file_state(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	const char *unit;
	int i;

	if (sd_bus_message_read(m, "s", &unit) < 0 || (i = find_unit(unit)) < 0 || !fake_units[i].file_state)
		return sd_bus_error_set(err, SD ".NoSuchUnit", "No such file or directory");
	return sd_bus_reply_method_return(m, "s", fake_units[i].file_state);
}

static int load_unit(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	_cleanup_free_ char *path = NULL;
	const char *unit;

	if (sd_bus_message_read(m, "s", &unit) < 0 || find_unit(unit) < 0 ||
	    sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit, &path) < 0)
		return sd_bus_error_set(err, SD ".NoSuchUnit", "no such unit");
	return sd_bus_reply_method_return(m, "o", path);
}

static int active_state(sd_bus *bus, const char *path, const char *iface, const char *prop,
			sd_bus_message *reply, void *userdata, sd_bus_error *err)
{
	return sd_bus_message_append(reply, "s", (const char *)userdata);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("GetUnitFileState", "s", "s", file_state, 0),
	SD_BUS_METHOD("LoadUnit", "s", "o", load_unit, 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable unit_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("ActiveState", "s", active_state, 0, 0),
	SD_BUS_VTABLE_END,
};

static sd_bus *connect_to(const char *address)
{
	sd_bus *bus = NULL;

	if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 ||
	    sd_bus_set_bus_client(bus, 1) < 0 || sd_bus_start(bus) < 0)
		return sd_bus_unref(bus);
	return bus;
}

static void serve(const char *address)
{
	sd_bus *bus = connect_to(address);

	if (!bus || sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/systemd1", SD ".Manager",
					     manager_vtable, NULL) < 0)
		_exit(1);
	for (size_t i = 0; i < sizeof(fake_units) / sizeof(fake_units[0]); i++) {
		_cleanup_free_ char *path = NULL;

		if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", fake_units[i].unit, &path) < 0 ||
		    sd_bus_add_object_vtable(bus, NULL, path, SD ".Unit", unit_vtable,
					     (void *)fake_units[i].active) < 0)
			_exit(1);
	}
	if (sd_bus_request_name(bus, SD, 0) < 0)
		_exit(1);
	for (;;) {
		int r = sd_bus_process(bus, NULL);

		if (r < 0)
			_exit(1);
		if (r == 0)
			sd_bus_wait(bus, UINT64_MAX);
	}
}

static pid_t start_daemon(char *address, size_t size)
{
	int fds[2];
	pid_t pid;
	ssize_t n;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char opt[32];

		close(fds[0]);
		snprintf(opt, sizeof(opt), "--print-address=%d", fds[1]);
		execlp("dbus-daemon", "dbus-daemon", "--session", "--nofork", opt, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], address, size - 1);
	close(fds[0]);
	if (n <= 0) {
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return -1;
	}
	address[n] = '\0';
	address[strcspn(address, "\n")] = '\0';
	return pid;
}

static void stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

static void test_units_from_bus(void **state)
{
	struct unit_fact units[_UNIT_MAX] = { 0 };
	char address[512];
	pid_t daemon, server;
	sd_bus *bus = NULL;
	int owned = 0;

	(void)state;
	daemon = start_daemon(address, sizeof(address));
	if (daemon < 0)
		unit_skip("no dbus-daemon in PATH to talk to (apt-get install dbus-daemon)");
	server = fork();
	if (server == 0)
		serve(address);
	bus = connect_to(address);
	assert_non_null(bus);
	for (int i = 0; i < 500 && owned <= 0; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		sd_bus_message *reply = NULL;

		if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				       "org.freedesktop.DBus", "NameHasOwner", NULL, &reply, "s", SD) >= 0)
			sd_bus_message_read(reply, "b", &owned);
		sd_bus_message_unref(reply);
		if (owned <= 0)
			nanosleep(&ts, NULL);
	}
	assert_true(owned > 0);

	conflicts_units_from_bus(bus, units);
	sd_bus_flush_close_unref(bus);
	stop(server);
	stop(daemon);

	assert_true(units[UNIT_DOCKER_SERVICE].enabled);
	assert_false(units[UNIT_DOCKER_SERVICE].active);
	assert_string_equal(units[UNIT_DOCKER_SERVICE].value, "UnitFileState=enabled ActiveState=inactive");
	assert_string_equal(units[UNIT_DOCKER_SERVICE].evidence, "systemd (D-Bus) docker.service");
	assert_false(units[UNIT_DOCKER_SOCKET].enabled);
	assert_true(units[UNIT_DOCKER_SOCKET].active);
	assert_false(units[UNIT_CONTAINERD_SERVICE].enabled);
	assert_false(units[UNIT_CONTAINERD_SERVICE].active);
	assert_string_equal(units[UNIT_CONTAINERD_SERVICE].value, "UnitFileState=unknown ActiveState=inactive");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_from_bus),
	};

	return unit_status(cmocka_run_group_tests(tests, NULL, NULL));
}
