/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer harness: the input's bytes are an operation sequence (two bytes
 * a step: the operation, then the handle in the low nibble and the
 * allocation variant in the high one), run against the library and the
 * reference model of tests/opseq.h. A disagreement aborts, which libFuzzer
 * reports with the input that caused it; memory errors are AddressSanitizer's
 * and UndefinedBehaviorSanitizer's to find.
 *
 * Built and run by `make fuzz` (clang -fsanitize=fuzzer,address,undefined).
 */
#include "opseq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opseq s;
	size_t i;

	opseq_begin(&s, size / 2 + 1);
	for (i = 0; i + 1 < size; i += 2) {
		unsigned op = data[i], handle = data[i + 1] & 0x0f, arg = data[i + 1] >> 4;

		if (!opseq_step(&s, op, handle, arg)) {
			char what[64];

			opseq_describe(op, handle, arg, what, sizeof(what));
			fprintf(stderr, "fuzz-ops: step %zu, %s: %s\n", i / 2, what, s.error);
			abort();
		}
	}
	free(opseq_end(&s));
	if (objlife_live_count(&opseq_ops) != s.live_base) {
		fprintf(stderr, "fuzz-ops: live count did not return to %zu\n", s.live_base);
		abort();
	}
	return 0;
}
