/* systems: placeholder until the systems register lands (replaced wholesale). */
#include "registers/registers.h"

const struct db_migration systems_migrations[] = { { NULL, NULL } };
const struct route systems_routes[] = { { NULL } };
const struct route_param systems_params[] = { { NULL, NULL, NULL } };

enum bw_err systems_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err)
{
	(void)db, (void)national, (void)data_dir, (void)err;
	return BW_OK;
}
