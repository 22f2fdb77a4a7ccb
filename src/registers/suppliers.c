/* suppliers: placeholder until the suppliers register lands (replaced wholesale). */
#include "registers/registers.h"

const struct db_migration suppliers_migrations[] = { { NULL, NULL } };
const struct route suppliers_routes[] = { { NULL } };
const struct route_param suppliers_params[] = { { NULL, NULL, NULL } };

enum bw_err suppliers_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err)
{
	(void)db, (void)national, (void)data_dir, (void)err;
	return BW_OK;
}
