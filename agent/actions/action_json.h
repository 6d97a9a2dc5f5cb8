/* SPDX-License-Identifier: MIT */
#pragma once

/* A result as JSON is the action record's (runlog/record.h): this header
 * stays only for daemon/manual.c until the engine's runner replaces it. */
#include "runlog/record.h"
