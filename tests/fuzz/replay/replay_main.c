/* SPDX-License-Identifier: MIT */
/*
 * Description: replay driver for libFuzzer targets. Runs the target over
 * every file of its seed corpus, then over deterministic pseudo-random and
 * mutated inputs, so that every build (gcc included) exercises the fuzz
 * target as an ordinary CTest test. SVA_FUZZ_ITERS overrides the count.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t load(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rbe");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	static uint8_t seeds[64][4096];
	static size_t seed_len[64];
	uint8_t buf[4096];
	unsigned int nseeds = 0;
	long iters = 20000;
	const char *env = getenv("SVA_FUZZ_ITERS");

	if (env)
		iters = atol(env);
	if (argc > 1) {
		DIR *d = opendir(argv[1]);
		struct dirent *e;

		while (d && (e = readdir(d)) != NULL) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
			size_t n = load(path, buf, sizeof(buf));
			LLVMFuzzerTestOneInput(buf, n);
			if (nseeds < 64) {
				memcpy(seeds[nseeds], buf, n);
				seed_len[nseeds++] = n;
			}
		}
		if (d)
			closedir(d);
	}
	printf("replayed %u corpus files; running %ld generated inputs\n", nseeds, iters);
	for (long i = 0; i < iters; i++) {
		size_t n;

		if (nseeds && (i & 1)) {
			/* mutate a seed: flip a few bytes, sometimes truncate */
			unsigned int s = rng() % nseeds;

			n = seed_len[s];
			memcpy(buf, seeds[s], n);
			for (int k = 0, m = 1 + rng() % 4; k < m && n; k++)
				buf[rng() % n] ^= (uint8_t)(1u << (rng() % 8));
			if (rng() % 8 == 0 && n)
				n = rng() % n;
		} else {
			n = rng() % 257;
			for (size_t k = 0; k < n; k++)
				buf[k] = (uint8_t)rng();
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("ok\n");
	return 0;
}
