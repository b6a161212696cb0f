/* SPDX-License-Identifier: MIT */
/*
 * Shared by the tests of tests/compat: run a shell script under svarun and
 * capture what it prints. CTest passes svarun's path in SVARUN.
 */
#ifndef SVA_TEST_COMPAT_H
#define SVA_TEST_COMPAT_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

#define ACCFG_TEST_DIR	"/usr/libexec/accel-config/test"

/* Skip unless svarun can work here: root, /dev/fuse, accel-config installed. */
static inline const char *compat_require(bool need_accel_config)
{
	static char path[PATH_MAX];
	const char *svarun = getenv("SVARUN");

	/* absolute: the scripts may run in another directory */
	if (!svarun || !realpath(svarun, path) || access(path, X_OK))
		T_SKIP("SVARUN does not name the svarun binary (run through ctest)");
	svarun = path;
	if (geteuid() != 0)
		T_SKIP("svarun needs root (mount namespace, FUSE)");
	if (access("/dev/fuse", R_OK | W_OK))
		T_SKIP("no /dev/fuse");
	if (need_accel_config && (access("/usr/bin/accel-config", X_OK) ||
				  access(ACCFG_TEST_DIR "/dsa_test", X_OK)))
		T_SKIP("accel-config / accel-config-test not installed (scripts/install-deps.sh)");
	return svarun;
}

/*
 * Start `svarun [opts...] -- sh -c script` in dir (opts NULL-terminated, or
 * NULL) with stdout and stderr on a pipe. Returns the pipe's read end and
 * the pid in *ret_pid.
 */
static inline int compat_spawn(const char *svarun, const char *const *opts, const char *dir,
			       const char *script, pid_t *ret_pid)
{
	const char *argv[16] = { "svarun" };
	unsigned int argc = 1;
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		T_FATAL("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		T_FATAL("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (dir && chdir(dir))
			_exit(126);
		while (opts && *opts && argc < 11)
			argv[argc++] = *opts++;
		argv[argc++] = "--";
		argv[argc++] = "sh";
		argv[argc++] = "-c";
		argv[argc++] = script;
		argv[argc] = NULL;
		execv(svarun, (char *const *)argv);
		_exit(127);
	}
	close(pfd[1]);
	*ret_pid = pid;
	return pfd[0];
}

/*
 * compat_spawn, then collect the output in out (NUL-terminated, truncated
 * to len) until svarun exits. Returns the exit status, 128 + signal if
 * killed; skips the test if svarun reports 77 (no privileges).
 */
static inline int compat_run(const char *svarun, const char *const *opts, const char *dir,
			     const char *script, char *out, size_t len)
{
	size_t pos = 0;
	ssize_t n;
	pid_t pid;
	int fd, st;

	fd = compat_spawn(svarun, opts, dir, script, &pid);
	for (;;) {
		char sink[4096];
		size_t room = len - 1 - pos;

		/* past len, drain into sink so the child never blocks on a full pipe */
		n = read(fd, room ? out + pos : sink, room ? room : sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (room)
			pos += (size_t)n;
	}
	out[pos] = '\0';
	close(fd);
	if (waitpid(pid, &st, 0) < 0)
		T_FATAL("waitpid: %s", strerror(errno));
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (st == T_EXIT_SKIP)
		T_SKIP("svarun cannot set up its namespace here:\n%s", out);
	return st;
}

/*
 * compat_run with `--config FILE` where FILE holds config (accel-config
 * JSON), written to a temporary file for the run, and extra (an option or
 * NULL).
 */
static inline int compat_run_config(const char *svarun, const char *config, const char *extra,
				    const char *script, char *out, size_t len)
{
	char path[T_TMP_MAX], opt[96];
	const char *opts[] = { opt, extra, NULL };
	FILE *f;
	int fd, st;

	fd = mkstemp(t_tmp_name(path, sizeof(path), "svarun-config-"));
	if (fd < 0 || !(f = fdopen(fd, "w")) || fputs(config, f) < 0 || fclose(f))
		T_FATAL("%s: %s", path, strerror(errno));
	snprintf(opt, sizeof(opt), "--config=%s", path);
	st = compat_run(svarun, opts, NULL, script, out, len);
	unlink(path);
	return st;
}

/* Occurrences of needle in hay. */
static inline unsigned int compat_count(const char *hay, const char *needle)
{
	unsigned int n = 0;

	while ((hay = strstr(hay, needle))) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

#endif /* SVA_TEST_COMPAT_H */
