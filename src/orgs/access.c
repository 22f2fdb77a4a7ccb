/*
 * access: roles, the role x action matrix and orgs_can(), the one function
 * that answers every access question. A route declares the action it needs
 * and how its target organisation is found; the request pipeline calls
 * orgs_can() before the handler runs.
 */
#include <stdio.h>
#include <string.h>

#include "orgs/orgs.h"

static const struct {
	enum role role;
	const char *name, *label;
} roles[] = {
	{ ROLE_ADMIN, "admin", "Administrator" },
	{ ROLE_ANALYST, "analyst", "Analyst" },
	{ ROLE_ICS_LEAD, "ics_lead", "ICS cyber lead" },
	{ ROLE_ORG_LEAD, "org_lead", "Organisation lead" },
	{ ROLE_CONTRIBUTOR, "contributor", "Contributor" },
	{ ROLE_BOARD, "board", "Board member" },
	{ ROLE_STAFF, "staff", "Staff" },
	{ ROLE_AUDITOR, "auditor", "Auditor" },
};

/* Which roles may take each action (inside their own subtree). */
static const unsigned matrix[ACT_COUNT] = {
	[ACT_VIEW] = ROLES_ALL,
	[ACT_EDIT] = ROLE_ADMIN | ROLE_ANALYST | ROLE_ICS_LEAD | ROLE_ORG_LEAD | ROLE_CONTRIBUTOR,
	[ACT_MANAGE_USERS] = ROLE_ADMIN | ROLE_ICS_LEAD | ROLE_ORG_LEAD,
	[ACT_MANAGE_ORGS] = ROLE_ADMIN,
	[ACT_AUDIT] = ROLE_ADMIN | ROLE_ANALYST | ROLE_ICS_LEAD | ROLE_ORG_LEAD | ROLE_AUDITOR,
};

const char *role_name(enum role r)
{
	for (size_t i = 0; i < BW_NELEM(roles); i++)
		if (roles[i].role == r)
			return roles[i].name;
	return "none";
}

const char *role_label(enum role r)
{
	for (size_t i = 0; i < BW_NELEM(roles); i++)
		if (roles[i].role == r)
			return roles[i].label;
	return "None";
}

enum role role_parse(const char *s)
{
	for (size_t i = 0; s && i < BW_NELEM(roles); i++)
		if (strcmp(roles[i].name, s) == 0)
			return roles[i].role;
	return ROLE_NONE;
}

bool role_requires_mfa(enum role r)
{
	return r == ROLE_ADMIN || r == ROLE_ANALYST;
}

bool orgs_role_allows(enum role r, enum action act)
{
	return (unsigned)act < ACT_COUNT && (matrix[act] & (unsigned)r) != 0;
}

bool orgs_may_grant(const struct actor *a, enum role r)
{
	if (a->role == ROLE_ADMIN)
		return r != ROLE_NONE;
	if (!orgs_role_allows(a->role, ACT_MANAGE_USERS))
		return false;
	return r != ROLE_NONE && r != ROLE_ADMIN && r != ROLE_ANALYST && (r != ROLE_ICS_LEAD || a->role == ROLE_ICS_LEAD);
}

void orgs_subtree_bounds(const char *path, char lo[256], char hi[256])
{
	snprintf(lo, 256, "%s", path);
	snprintf(hi, 256, "%s", path);
	size_t n = strlen(hi);
	/* paths end in '/'; '0' is the byte after '/', so [P, P'0') is the subtree */
	if (n && hi[n - 1] == '/')
		hi[n - 1] = '0';
}

bool orgs_can(const struct actor *a, enum action act, const struct org_ref *target)
{
	if (!a || a->user_id <= 0 || !orgs_role_allows(a->role, act))
		return false;
	if (!target)
		return true;   /* an action on nothing in particular: the role decides */
	size_t n = strlen(a->org_path);
	return n > 0 && strncmp(target->path, a->org_path, n) == 0;
}
