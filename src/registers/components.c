/* components: placeholder until the components register lands (replaced wholesale). */
#include "registers/registers.h"

const struct db_migration components_migrations[] = { { NULL, NULL } };
const struct route components_routes[] = { { NULL } };
const struct route_param components_params[] = { { NULL, NULL, NULL } };

enum bw_err components_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err)
{
	(void)db, (void)national, (void)data_dir, (void)err;
	return BW_OK;
}
