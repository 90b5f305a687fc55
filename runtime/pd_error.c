/*
 * pd_strerror: the table of messages for pd_error.h.  Kept apart so that
 * adding a code means touching exactly these two files.
 */
#include "pd_error.h"

static const char *const messages[] = {
	[PD_EINVAL - PD_EINVAL] = "invalid argument or handle",
	[PD_EREVOKED - PD_EINVAL] = "remote reference revoked",
	[PD_ESTALE - PD_EINVAL] = "stale remote reference",
	[PD_EACCES - PD_EINVAL] = "access refused",
	[PD_EFAULT - PD_EINVAL] = "domain faulted and was recovered",
	[PD_ENOMEM - PD_EINVAL] = "out of memory",
	[PD_EQUOTA - PD_EINVAL] = "domain memory quota exceeded",
	[PD_ELABEL - PD_EINVAL] = "information-flow label violation",
	[PD_EDEAD - PD_EINVAL] = "domain is dead",
	[PD_ENOTOWNER - PD_EINVAL] = "object not owned by the current domain",
	[PD_EBUSY - PD_EINVAL] = "domain is active on this thread (or busy)",
	[PD_ECORRUPT - PD_EINVAL] = "corrupt checkpoint image",
	[PD_EIFACE - PD_EINVAL] = "remote reference of another interface",
};

const char *pd_strerror(int rc)
{
	if (rc < 0)
		rc = -rc;
	if (rc == 0)
		return "success";
	if (rc < PD_EINVAL || rc >= PD_ERROR_END)
		return "unknown libpd error";
	return messages[rc - PD_EINVAL];
}
