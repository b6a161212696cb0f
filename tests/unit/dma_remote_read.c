/* SPDX-License-Identifier: MIT */
/*
 * Description: reads of the remote DMA backend (dma_remote.c) use
 * process_vm_readv(), which re-checks ptrace access on every call, while
 * /proc/PID/mem was authorised once at bind. A client that turns itself
 * non-dumpable after bind (PR_SET_DUMPABLE 0), read by a daemon without
 * CAP_SYS_PTRACE, gets process_vm_readv() refused with EPERM: DMA must
 * still work, byte-exact, through the descriptor opened at bind, and a 1 MiB
 * MEMMOVE (one window) must too. Then a killed and reaped client: reads
 * fault (DMA_FAULT_INVALID) and never reach anyone else.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/capability.h>

#include "harness.h"

#define PG	4096ull
#define BIG	(1ull << 20)	/* src and dst of the large copy */
#define NBYTES	(2 * BIG + PG)	/* src, dst, record page */

static uint8_t pattern[BIG];

/* Child: map, report the base, turn non-dumpable on request, send dst back on request. */
static void child_main(int wr, int rd)
{
	uint8_t *p = mmap(NULL, NBYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t base = (uint64_t)(uintptr_t)p;
	char c;

	if (p == MAP_FAILED)
		_exit(2);
	memcpy(p, pattern, BIG);
	memset(p + BIG, 0, BIG + PG);
	if (write(wr, &base, sizeof(base)) != sizeof(base))
		_exit(3);
	while (read(rd, &c, 1) == 1) {
		if (c == 'd') {
			prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		} else if (c == 's') {
			for (size_t off = 0; off < BIG;) {
				ssize_t n = write(wr, p + BIG + off, BIG - off);

				if (n <= 0)
					_exit(4);
				off += (size_t)n;
			}
		}
		if (c == 'd' && write(wr, &c, 1) != 1)
			_exit(5);
	}
	_exit(0);
}

/* Drop CAP_SYS_PTRACE from our effective set: ptrace rules then apply to us. */
static void drop_ptrace_cap(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		T_FATAL("capget: %s", strerror(errno));
	d[CAP_SYS_PTRACE / 32].effective &= ~(1u << (CAP_SYS_PTRACE % 32));
	if (syscall(SYS_capset, &h, d))
		T_FATAL("capset: %s", strerror(errno));
}

static uint8_t memmove_in_child(struct t_dev *t, uint64_t base, uint64_t off, uint32_t n,
				struct dsa_completion_record *cr)
{
	static const struct dsa_completion_record zero;
	struct dma_ctx c = { .as = t->as, .bof = true };
	struct dsa_hw_desc d;
	struct dsa_result res;
	uint64_t cr_addr = base + 2 * BIG;

	if (dma_write(&c, cr_addr, &zero, sizeof(zero)))
		T_FATAL("dma_write record");
	t_desc(&d, DSA_OPCODE_MEMMOVE, 0, NULL);
	d.completion_addr = cr_addr;
	d.src_addr = base + off;
	d.dst_addr = base + BIG + off;
	d.xfer_size = n;
	if (dsa_exec_desc(&t->caps, &t->wq, t->as, t->pasid, false, &d, &res))
		T_FATAL("dsa_exec_desc");
	/* The record is read back through the backend: the fallback under test. */
	if (dma_read(&c, cr, cr_addr, sizeof(*cr)))
		T_FATAL("dma_read record");
	T_EQ(cr->status, res.status);
	return cr->status;
}

int main(void)
{
	static uint8_t got[BIG];
	struct dsa_completion_record cr;
	struct iovec l, rv;
	struct t_peer peer;
	struct t_dev t;
	uint64_t base;
	pid_t child;
	char c = 'd';
	uint8_t b;
	int r;

	t_seed(0xd0a1);
	t_fill_random(pattern, sizeof(pattern));
	t_peer_start(&peer, child_main);
	child = peer.pid;
	base = peer.base;
	t_dev_init_peer(&t, &peer);

	/* The client turns non-dumpable; we lose the capability that overrides it. */
	if (write(peer.down, &c, 1) != 1)
		T_FATAL("pipe write");
	t_peer_read(&peer, &c, 1);
	drop_ptrace_cap();
	l = (struct iovec){ &b, 1 };
	rv = (struct iovec){ (void *)(uintptr_t)base, 1 };
	r = process_vm_readv(child, &l, 1, &rv, 1, 0) < 0 ? -errno : 0;
	if (r != -EPERM) {
		kill(child, SIGKILL);
		t_child_fate(child);
		T_SKIP("process_vm_readv not refused after PR_SET_DUMPABLE 0 (%d)", r);
	}

	/* A 4 KiB copy, then a 1 MiB one: success and byte-exact through the fallback. */
	T_EQ(memmove_in_child(&t, base, 0x80, PG, &cr), DSA_COMP_SUCCESS);
	T_EQ(memmove_in_child(&t, base, 0, BIG, &cr), DSA_COMP_SUCCESS);
	c = 's';
	if (write(peer.down, &c, 1) != 1)
		T_FATAL("pipe write");
	t_peer_read(&peer, got, BIG);
	T_CHECK(!memcmp(got, pattern, BIG), "1 MiB payload differs");

	/* Killed and reaped: reads fault instead of reaching whoever gets the pid. */
	kill(child, SIGKILL);
	t_child_fate(child);
	{
		struct dma_ctx dc = { .as = t.as, .bof = true };

		T_EQ(dma_read(&dc, got, base, PG), -EFAULT);
		T_EQ(dc.fault.kind, DMA_FAULT_INVALID);
	}
	as_unbind(t.as);
	t.as = as_unref(t.as);
	return t_done("dma_remote_read");
}
