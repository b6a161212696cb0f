/* SPDX-License-Identifier: MIT */
/*
 * Description: libFuzzer target for proto_decode() (src/daemon/proto.c),
 * which svad runs on every packet a client sends. Any input: no crash and
 * no read past the input (ASan); a rejection is a negative errno; a
 * successful decode re-encodes with proto_encode_data() (the canonical form
 * of the current version) and decodes again to the same type, seq, body
 * and reply data.
 */
#include <errno.h>
#include <string.h>

#include "harness.h"
#include "daemon/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...) T_FUZZ_FAIL(__VA_ARGS__)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_msg m, m2;
	static uint8_t buf[PROTO_MAX_MSG];
	ssize_t blen;
	size_t len = 0, dlen;
	int r;

	r = proto_decode(data, size, &m);
	if (r) {
		if (r != -EMSGSIZE && r != -EBADMSG && r != -EPROTO && r != -EINVAL)
			FAIL("decode of %zu bytes: unexpected %d", size, r);
		return 0;
	}
	if (m.hdr.size != size || size > PROTO_MAX_MSG)
		FAIL("accepted size %u for a %zu-byte packet", m.hdr.size, size);
	blen = proto_body_size(m.hdr.type);
	if (blen < 0 || size < sizeof(m.hdr) + (size_t)blen)
		FAIL("accepted type %u with %zu bytes", m.hdr.type, size);

	dlen = m.hdr.type == PROTO_REPLY ? m.body.reply.data_len : 0;
	r = proto_encode_data(m.hdr.type, m.hdr.seq, &m.body, (size_t)blen, m.data, dlen, buf,
			      sizeof(buf), &len);
	if (r)
		FAIL("re-encode of an accepted type %u: %d", m.hdr.type, r);
	if (len != sizeof(m.hdr) + (size_t)blen + dlen)
		FAIL("re-encoded length %zu", len);
	r = proto_decode(buf, len, &m2);
	if (r)
		FAIL("decode of re-encoded type %u: %d", m.hdr.type, r);
	if (m2.hdr.type != m.hdr.type || m2.hdr.seq != m.hdr.seq ||
	    m2.hdr.version != PROTO_VERSION || m2.hdr.magic != PROTO_MAGIC)
		FAIL("header changed in the round trip");
	/* proto_decode() zero-fills past the body, so the whole union compares */
	if (memcmp(&m.body, &m2.body, sizeof(m.body)))
		FAIL("body of type %u changed in the round trip", m.hdr.type);
	/* reply data comes back byte for byte, zero past its end */
	if (memcmp(m.data, m2.data, sizeof(m.data)))
		FAIL("reply data changed in the round trip");
	return 0;
}
