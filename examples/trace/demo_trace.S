/*
 * demo_trace.S - tests/traces/demo.pcap as bytes in the program
 * (demo_trace.c makes a file of them).  The build assembles this from the
 * repository root, where .incbin finds the trace.
 */
	.section .rodata
	.globl	demo_trace_bytes
	.globl	demo_trace_end
	.p2align 4
demo_trace_bytes:
	.incbin	"tests/traces/demo.pcap"
demo_trace_end:
	.section .note.GNU-stack,"",@progbits
