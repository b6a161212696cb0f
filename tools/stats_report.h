/* SPDX-License-Identifier: MIT */
/*
 * The counter report of `svactl stats` and `svarun --stats`: descriptors
 * by opcode and status, retries, faults, SWERROR reports, and the rows of
 * every WQ, engine and PASID of a device (embedded or hosted by svad).
 */
#ifndef SVA_STATS_REPORT_H
#define SVA_STATS_REPORT_H

#include <stdio.h>

#include <json-c/json.h>

#include "sva/sva.h"

/*
 * Read all of dev's counters, then print them as a table on out, or, with
 * jarr, append them to jarr as one JSON object. A counter that cannot be
 * read is reported on err as "who: dev: reason" and nothing is printed.
 * Returns 0 or -errno.
 */
int stats_report(struct sva_device *dev, json_object *jarr, FILE *out, FILE *err,
		 const char *who);

#endif /* SVA_STATS_REPORT_H */
