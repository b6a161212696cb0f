/* SPDX-License-Identifier: MIT */
/*
 * Description: two embedded devices in one process (system.md §2.2): each
 * gets its own name and objects (dsa0/wq0.x, dsa1/wq1.x) and its default
 * configuration; binding to both yields one and the same process PASID;
 * descriptors on either device complete.
 */
#include <string.h>

#include "harness.h"
#include "sva/sva.h"

static struct dsa_completion_record cr[2] __attribute__((aligned(32)));

int main(void)
{
	struct sva_device *a, *b;
	struct sva_portal *pa, *pb;
	struct dsa_hw_desc d;
	uint32_t pasid_a, pasid_b;
	char state[32];

	T_EQ(sva_device_new(NULL, &a), 0);
	T_EQ(sva_device_new(NULL, &b), 0);
	T_CHECK(strcmp(sva_device_name(a), sva_device_name(b)) != 0, "distinct names %s %s",
		sva_device_name(a), sva_device_name(b));
	T_CHECK(sva_attr_get(b, "dsa1", "state", state, sizeof(state)) >= 0 &&
			strcmp(state, "enabled") == 0, "dsa1 state '%s'", state);
	T_EQ(sva_bind(a, &pasid_a), 0);
	T_EQ(sva_bind(b, &pasid_b), 0);
	T_EQ(pasid_a, pasid_b);		/* one PASID per process, for every device */
	T_EQ(sva_portal_open(a, 0, 0, &pa), 0);
	T_EQ(sva_portal_open(b, 0, 0, &pb), 0);
	sva_prep_noop(&d, &cr[0], 0);
	T_EQ(sva_enqcmd(pa, &d), 0);
	sva_prep_noop(&d, &cr[1], 0);
	T_EQ(sva_enqcmd(pb, &d), 0);
	T_EQ(sva_wait(&cr[0], 5000000000ll), 0);
	T_EQ(sva_wait(&cr[1], 5000000000ll), 0);
	T_EQ(sva_poll(&cr[0]), DSA_COMP_SUCCESS);
	T_EQ(sva_poll(&cr[1]), DSA_COMP_SUCCESS);
	sva_portal_close(pa);
	sva_portal_close(pb);
	sva_unbind(a);
	sva_unbind(b);
	sva_device_free(a);
	sva_device_free(b);
	return t_done("api/multi_device");
}
