/* SPDX-License-Identifier: MIT */
/*
 * Binding and portals (system.md §4.3, SYS-7): open binds the process and
 * enforces DWQ exclusivity, a DWQ takes the opener's PASID into WQCFG, and
 * close drains the opener's work (Drain PASID on an SWQ; drain on a DWQ).
 * Submission stamps the PASID of the portal's process, never the
 * descriptor's (ENQCMD), and answers with the instruction's semantics.
 */
#include <errno.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib.h"
#include "cpu/cpu.h"

SVA_EXPORT int sva_bind(struct sva_device *dev, uint32_t *ret_pasid)
{
	struct as *as;
	uint32_t pasid;
	int r;

	if (!dev || !ret_pasid)
		return -EINVAL;
	r = proc_check(dev->pid);
	if (r)
		return r;
	if (dev->remote)
		return remote_bind(dev, ret_pasid);
	as = proc_as();
	if (!as)
		return -ENOMEM;
	r = as_bind(as, PASID_MAX, &pasid);
	if (r)
		return r;
	*ret_pasid = pasid;
	return 0;
}

SVA_EXPORT int sva_unbind(struct sva_device *dev)
{
	struct as *as;
	int r;

	if (!dev)
		return -EINVAL;
	r = proc_check(dev->pid);
	if (r)
		return r;
	if (dev->remote)
		return remote_unbind(dev);
	as = proc_as();
	return as ? as_unbind(as) : -ENOMEM;
}

int lib_wq_attach(struct sva_device *dev, unsigned int wq, struct as *as, uint32_t *ret_pasid,
		  bool *ret_dedicated)
{
	struct dsa_wq_cfg *cfg;
	uint32_t pasid;
	int r;

	rt_lock(dev->rt);
	cfg = dsa_dev_wq(rt_dev(dev->rt), wq);
	if (!cfg) {
		r = -EINVAL;
		goto out;
	}
	if (cfg->state != DSA_STATE_ENABLED) {
		r = -ENODEV;
		goto out;
	}
	/* One client per dedicated WQ (idxd_cdev_open). */
	if (!cfg->shared && cfg->clients) {
		r = -EBUSY;
		goto out;
	}
	r = as_bind(as, PASID_MAX, &pasid);
	if (r)
		goto out;
	if (!cfg->shared) {
		/* idxd_wq_set_pasid(): the device uses WQCFG.pasid on a DWQ. */
		cfg->pasid = pasid;
		cfg->pasid_en = true;
		wq_rt_set_owner(rt_wq(dev->rt, wq), as, pasid);
	}
	dsa_dev_wq_clients_add(rt_dev(dev->rt), wq, 1);
	*ret_pasid = pasid;
	*ret_dedicated = !cfg->shared;
out:
	rt_unlock(dev->rt);
	return r;
}

void lib_wq_detach(struct sva_device *dev, unsigned int wq, struct as *as, uint32_t pasid,
		   bool dedicated, bool abort)
{
	struct dsa_wq_cfg *cfg;
	int w = (int)wq;

	/* Release: (abort, then) drain this client's work (idxd_cdev_release). */
	if (abort)
		rt_drain(dev->rt, w, dedicated ? WQ_ANY_PASID : pasid, true);
	rt_drain(dev->rt, w, dedicated ? WQ_ANY_PASID : pasid, false);
	rt_lock(dev->rt);
	cfg = dsa_dev_wq(rt_dev(dev->rt), wq);
	dsa_dev_wq_clients_add(rt_dev(dev->rt), wq, -1);
	if (dedicated) {
		wq_rt_set_owner(rt_wq(dev->rt, wq), NULL, PASID_INVALID);
		cfg->pasid = 0;
		cfg->pasid_en = false;
	}
	rt_unlock(dev->rt);
	as_unbind(as);
}

SVA_EXPORT int sva_portal_open(struct sva_device *dev, unsigned int wq, unsigned int flags,
			       struct sva_portal **ret_portal)
{
	struct sva_portal *p;
	int r;

	if (!dev || !ret_portal || (flags & ~SVA_PORTAL_UNLIMITED))
		return -EINVAL;
	r = proc_check(dev->pid);
	if (r)
		return r;
	if (dev->remote)
		return remote_portal_open(dev, wq, flags, ret_portal);
	if (wq >= rt_nwqs(dev->rt))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->as = proc_as();
	if (!p->as) {
		r = -ENOMEM;
		goto err_free;
	}
	r = lib_wq_attach(dev, wq, p->as, &p->pasid, &p->dedicated);
	if (r)
		goto err_free;
	/*
	 * The portal's reference keeps the address space (and its PASID)
	 * alive while descriptors submitted through it may run; close drains
	 * them before dropping it (the kernel's release-then-mmput order).
	 */
	as_ref(p->as);
	p->dev = lib_device_ref(dev);
	p->wq = rt_wq(dev->rt, wq);
	p->wq_id = wq;
	p->unlimited = flags & SVA_PORTAL_UNLIMITED;
	p->pid = proc_pid_get();
	*ret_portal = p;
	return 0;

err_free:
	free(p);
	return r;
}

SVA_EXPORT struct sva_portal *sva_portal_close(struct sva_portal *p)
{
	struct sva_device *dev;

	if (!p)
		return NULL;
	dev = p->dev;
	if (p->remote) {
		remote_portal_close(p);
	} else if (proc_check(p->pid) == 0) {
		lib_wq_detach(dev, p->wq_id, p->as, p->pasid, p->dedicated, false);
		as_unref(p->as);
	}
	free(p);
	lib_device_unref(dev);
	return NULL;
}

SVA_EXPORT int sva_portal_wq_size(struct sva_portal *p)
{
	if (!p)
		return -EINVAL;
	if (p->remote)
		return remote_portal_wq_size(p);
	return (int)wq_rt_size(p->wq);
}

/* Admit one DMWr with the given identity: 0 accepted, 1 retry. */
static int portal_enq(struct sva_portal *p, const struct dsa_hw_desc *d, uint32_t pasid, bool priv)
{
	if (wq_rt_enqcmd(p->wq, d, p->as, pasid, priv, p->unlimited) != WQ_ACCEPTED)
		return 1;
	group_rt_kick_wq(p->wq);
	return 0;
}

/*
 * Post one descriptor. A drop goes to SWERROR directly, or (from a signal
 * handler, where the model's lock may be held) parked for a later fold.
 */
static void portal_post(struct sva_portal *p, const struct dsa_hw_desc *d, bool in_signal)
{
	switch (wq_rt_movdir64b(p->wq, d)) {
	case WQ_ACCEPTED:
		group_rt_kick_wq(p->wq);
		break;
	case WQ_DROPPED:
		if (in_signal)
			rt_record_drop_async(p->dev->rt, p->wq, d, p->pasid);
		else
			rt_record_drop(p->dev->rt, p->wq, d, p->pasid);
		break;
	default:
		break;
	}
}

static int portal_check(const struct sva_portal *p, const struct dsa_hw_desc *d)
{
	if (sva_unlikely(!p || !d))
		return -EINVAL;
	return proc_check(p->pid);
}

SVA_EXPORT int sva_enqcmd(struct sva_portal *p, const struct dsa_hw_desc *d)
{
	int r = portal_check(p, d);

	if (sva_unlikely(r))
		return r;
	if (p->remote)
		return ring_submit(&p->remote->rc, RING_OP_ENQCMD, d);
	/* ENQCMD: PASID from the process (IA32_PASID), Priv 0 (system.md §5). */
	return portal_enq(p, d, p->pasid, false);
}

SVA_EXPORT int sva_enqcmds(struct sva_portal *p, const struct dsa_hw_desc *d)
{
	int r = portal_check(p, d);

	if (sva_unlikely(r))
		return r;
	/* ENQCMDS: PASID and Priv from the descriptor; bits 30:20 must be 0. */
	if (d->rsvd)
		return -EINVAL;
	if (p->remote)
		return ring_submit(&p->remote->rc, RING_OP_ENQCMDS, d);
	return portal_enq(p, d, d->pasid, d->priv);
}

SVA_EXPORT int sva_movdir64b(struct sva_portal *p, const struct dsa_hw_desc *d)
{
	int r = portal_check(p, d);

	if (sva_unlikely(r))
		return r;
	if (p->remote)
		return ring_submit(&p->remote->rc, RING_OP_MOVDIR64B, d);
	portal_post(p, d, false);
	return 0;
}

/* The trap layer's entry points: async-signal-safe (lock-free admission). */

int lib_trap_enqcmd(struct sva_portal *p, const void *desc, uint32_t pasid)
{
	/* A portal of another process (ctx->mm check): never submitted. */
	if (p->pid != proc_pid_get())
		return 1;
	/* svad stamps the connection's PASID; a dead svad answers Retry. */
	if (p->remote)
		return ring_submit(&p->remote->rc, RING_OP_ENQCMD, desc) ? 1 : 0;
	return portal_enq(p, desc, pasid, false);
}

void lib_trap_movdir64b(struct sva_portal *p, const void *desc)
{
	if (p->pid != proc_pid_get())
		return;
	if (p->remote)
		ring_submit(&p->remote->rc, RING_OP_MOVDIR64B, desc);
	else
		portal_post(p, desc, true);
}

SVA_EXPORT int sva_portal_mmap(struct sva_portal *p, void **ret_addr)
{
	void *a;
	int r;

	if (!p || !ret_addr)
		return -EINVAL;
	r = proc_check(p->pid);
	if (r)
		return r;
	/*
	 * No access: a native ENQCMD/MOVDIR64B store faults as well, so the
	 * trap layer sees it on CPUs that have the instructions.
	 */
	a = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		return -errno;
	/* VM_DONTCOPY: a fork child has no portal (SYS-6). */
	if (madvise(a, 4096, MADV_DONTFORK)) {
		r = -errno;
		munmap(a, 4096);
		return r;
	}
	r = enq_register(a, 4096, p);
	if (r) {
		munmap(a, 4096);
		return r;
	}
	*ret_addr = a;
	return 0;
}

SVA_EXPORT int sva_portal_munmap(struct sva_portal *p, void *addr)
{
	int r;

	if (!p || !addr || enq_lookup((uint64_t)(uintptr_t)addr) != p)
		return -EINVAL;
	r = enq_unregister(addr);
	if (r)
		return r;
	return munmap(addr, 4096) ? -errno : 0;
}
