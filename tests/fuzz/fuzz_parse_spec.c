/*
 * fuzz_parse_spec - libFuzzer harness for the examples' text parsers, which
 * read command lines, files and (Maglev) a control FIFO at run time:
 * firewall_rule_parse, maglev_backend_parse, maglev_change_parse.  Byte 0
 * picks the parser, the rest is the text (NUL-terminated copy of exactly
 * its length).  What must hold: no crash or out-of-bounds access, and a
 * firewall rule that parses formats back to text that parses to the same
 * rule.  The parsers explain every refusal on stderr; the harness closes
 * it (libFuzzer still reports there).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firewall_stage.h"
#include "stage_maglev.h"

static void expect(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_parse_spec: %s\n", what);
		abort();
	}
}

/* Adds -close_fd_mask=2 to the command line: the refusals are not news. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[64];
	static char quiet[] = "-close_fd_mask=2";
	int n = *argc < 62 ? *argc : 62;
	memcpy(args, *argv, (size_t)n * sizeof *args);
	args[n] = quiet;
	args[n + 1] = NULL;
	*argc = n + 1;
	*argv = args;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	char *text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0: {
		firewall_rule r, back;
		memset(&r, 0, sizeof r);
		if (firewall_rule_parse(text, &r) == 0) {
			char buf[256];
			firewall_rule_format(&r, buf, sizeof buf);
			memset(&back, 0, sizeof back);
			expect(firewall_rule_parse(buf, &back) == 0, "a formatted rule does not parse");
			char again[256];
			firewall_rule_format(&back, again, sizeof again);
			expect(strcmp(buf, again) == 0, "format and parse do not agree");
		}
		break;
	}
	case 1: {
		struct maglev_backend b;
		if (maglev_backend_parse(text, &b) == 0)
			expect(memchr(b.name, '\0', sizeof b.name) != NULL, "backend name not terminated");
		break;
	}
	default: {
		maglev_change c;
		if (maglev_change_parse(text, &c) == 0)
			expect(memchr(c.backend.name, '\0', sizeof c.backend.name) != NULL,
			       "backend name not terminated");
		break;
	}
	}
	free(text);
	return 0;
}
