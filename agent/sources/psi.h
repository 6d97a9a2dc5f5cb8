/* SPDX-License-Identifier: MIT */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sources/source.h"

/* /proc/pressure/memory: share of wall time tasks stalled on memory. */
struct psi_line {
	bool present;
	double avg10, avg60, avg300;  /* percent */
	uint64_t total_us;
};

struct psi {
	struct psi_line some, full;
};

int psi_parse(char *text, const char *path, struct psi *p, struct diag_list *d);
/* Optional source: absence (PSI off, or an old WSL kernel) is not an error. */
int psi_read(const char *root, struct psi *p, struct source_status *st, struct diag_list *d);
