/*
 * libpd's error codes.  Every libpd function that can fail returns 0 (or a
 * non-negative value) on success and a negated PD_Exxx code on failure, so a
 * caller tests "rc < 0" and prints pd_strerror(rc).  The codes are libpd's
 * own (not errno values) so that a proxy's return status never mixes with
 * whatever errno-style values the implementations return.
 */
#ifndef PD_ERROR_H
#define PD_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum pd_error {
	PD_OK = 0,
	PD_EINVAL = 1000,  /* malformed argument or forged handle */
	PD_EREVOKED,       /* the rref's slot was revoked */
	PD_ESTALE,         /* the rref names an object that no longer exists */
	PD_EACCES,         /* the access-control hook refused the call */
	PD_EFAULT,         /* the callee faulted; it has been recovered */
	PD_ENOMEM,         /* out of memory, or a table is full */
	PD_EQUOTA,         /* the domain exceeded its memory quota */
	PD_ELABEL,         /* an information-flow label check failed */
	PD_EDEAD,          /* the domain is dead: its recovery failed */
	PD_ENOTOWNER,      /* the object is not owned by the current domain */
	PD_EBUSY,          /* the domain is running on this thread's stack */
	PD_ECORRUPT,       /* a checkpoint image failed validation */
	PD_EIFACE,         /* the rref names an object of another interface */
	PD_ERROR_END
};

/* A static, human-readable description of rc (either sign); never NULL. */
const char *pd_strerror(int rc);

#ifdef __cplusplus
}
#endif

#endif
