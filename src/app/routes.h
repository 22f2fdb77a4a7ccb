/* routes: the foundation's route tables and path parameters, registered by
 * main together with the domain modules' tables. */
#ifndef BW_ROUTES_H
#define BW_ROUTES_H

#include "app/app.h"

extern const struct route signin_routes[];
extern const struct route home_routes[];
extern const struct route orgs_routes[];
extern const struct route users_routes[];
extern const struct route profile_routes[];
extern const struct route audit_routes[];
extern const struct route api_routes[];
extern const struct route_param foundation_params[];
extern const struct web_nav_entry foundation_nav[];

/* Registers all of the above. */
void routes_register_foundation(void);

void signin_mfa_setup_page(struct ctx *c, const char *action, const struct web_form_errors *errs);
void signin_recovery_codes_page(struct ctx *c, char codes[AUTH_RECOVERY_CODES][AUTH_RECOVERY_CODE_LEN]);

/* Shared bits of the organisation and user pages. */
void pages_org_link(struct buf *b, const char *code, const char *name);
int64_t pages_page_number(struct ctx *c);

#endif
