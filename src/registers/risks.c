/* risks: placeholder until the risks register lands (replaced wholesale). */
#include "registers/registers.h"

const struct db_migration risks_migrations[] = { { NULL, NULL } };
const struct route risks_routes[] = { { NULL } };
const struct route_param risks_params[] = { { NULL, NULL, NULL } };

enum bw_err risks_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err)
{
	(void)db, (void)national, (void)data_dir, (void)err;
	return BW_OK;
}
