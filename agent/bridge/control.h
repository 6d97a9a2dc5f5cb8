/* SPDX-License-Identifier: MIT */
#pragma once

#include <systemd/sd-event.h>

#include "bridge/bridge_client.h"

/* The daemon's control socket (see control.c). */
struct control;
struct dlog;
/* -EADDRINUSE when another daemon answers on path. bc may be NULL. */
int control_start(sd_event *ev, const struct dlog *log, const char *path, struct bridge_client *bc,
		  struct control **ret);
void control_free(struct control *ctl);
