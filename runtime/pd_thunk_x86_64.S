/*
 * The guarded call thunk (x86-64 System V).  A framed proxy calls
 * pd__guarded_call with the implementation's own arguments, having put the
 * implementation's address in the innermost catch frame (frame.target).
 * The thunk records what a return to the proxy needs - return address,
 * stack pointer, callee-saved registers - in that frame and calls the
 * implementation; argument registers and stack arguments reach it
 * untouched, so one thunk serves every method signature.  On a fault,
 * pd__guarded_resume restores those registers and "returns" -PD_EFAULT
 * to the proxy after recovery has run (pd__guarded_unwound, in C).
 *
 * This replaces a setjmp in the proxy: a function containing setjmp cannot
 * be inlined and must spill every live value, which cost more than the
 * thunk's eight stores.  The call/return pairs stay balanced, so the
 * return-stack predictor is never wrong on the fast path.  The unwind
 * information follows the return address into the frame, so gdb's
 * backtrace from inside an implementation shows the proxy and its callers.
 *
 * Offsets: struct pd__thread { current 0, top 8 };
 *          struct pd_catch   { ..., target 32, regs 40: ret, rsp, rbx, rbp, r12..r15 }.
 * pd_fault.c checks them with _Static_assert.
 */
	.text

	.globl	pd__guarded_call
	.type	pd__guarded_call, @function
	.p2align 4
pd__guarded_call:
	.cfi_startproc
	movq	pd__self@gottpoff(%rip), %r10
	movq	%fs:8(%r10), %r10		/* the frame pd_call_enter pushed */
	popq	%r11				/* return address into the proxy */
	.cfi_adjust_cfa_offset -8
	movq	%r11, 40(%r10)
	/* For debuggers: the return address now lives at 40(%r10). */
	.cfi_escape 0x10, 0x10, 0x02, 0x7a, 0x28	/* DW_CFA_expression: rip at [r10 + 40] */
	movq	%rsp, 48(%r10)
	movq	%rbx, 56(%r10)
	movq	%rbp, 64(%r10)
	movq	%r12, 72(%r10)
	movq	%r13, 80(%r10)
	movq	%r14, 88(%r10)
	movq	%r15, 96(%r10)
	/*
	 * Keep the frame in rbx, which the implementation preserves: no TLS
	 * load on the way back, and the unwind info can find the proxy's
	 * return address and rbx through it.
	 */
	movq	%r10, %rbx
	.cfi_escape 0x10, 0x10, 0x02, 0x73, 0x28	/* rip at [rbx + 40] */
	.cfi_escape 0x10, 0x03, 0x02, 0x73, 0x38	/* rbx at [rbx + 56] */
	/* The stack arguments are where the implementation expects them. */
	callq	*32(%rbx)
	/* rax:rdx and xmm0:xmm1 hold the result. */
	pushq	40(%rbx)
	.cfi_adjust_cfa_offset 8
	.cfi_offset %rip, -8
	movq	56(%rbx), %rbx
	.cfi_restore %rbx
	ret
	.cfi_endproc
	.size	pd__guarded_call, .-pd__guarded_call

/* void pd__guarded_resume(pd_catch *frame): does not return. */
	.globl	pd__guarded_resume
	.type	pd__guarded_resume, @function
	.p2align 4
pd__guarded_resume:
	movq	%rdi, %r10
	movq	56(%r10), %rbx
	movq	64(%r10), %rbp
	movq	72(%r10), %r12
	movq	80(%r10), %r13
	movq	88(%r10), %r14
	movq	96(%r10), %r15
	movq	48(%r10), %rsp			/* back on the proxy's stack, off any signal stack */
	pushq	40(%r10)			/* as if just called from the proxy */
	subq	$8, %rsp			/* 16-byte alignment for the C call */
	movq	%r10, %rdi
	call	pd__guarded_unwound		/* recovery; returns -PD_EFAULT */
	addq	$8, %rsp
	ret
	.size	pd__guarded_resume, .-pd__guarded_resume

	.section .note.GNU-stack,"",@progbits
