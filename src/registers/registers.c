/* registers: puts the four registers' tables, routes and navigation
 * together, and seeds them for the demo estate in dependency order. */
#include "registers/registers.h"

static const struct web_nav_entry nav[] = {
	{ "Registers", "/registers", 0xFF },
	{ NULL, NULL, 0 },
};

void registers_register(void)
{
	app_add_params(suppliers_params);
	app_add_params(systems_params);
	app_add_params(components_params);
	app_add_params(risks_params);
	app_add_nav(nav);
	app_add_home_card(&registers_home_card);
	app_add_routes(registers_routes);
	app_add_routes(suppliers_routes);
	app_add_routes(systems_routes);
	app_add_routes(components_routes);
	app_add_routes(risks_routes);
}

enum bw_err registers_demo_seed(struct db *db, bool national, const char *data_dir, struct bw_error *err)
{
	enum bw_err (*const steps[])(struct db *, bool, const char *, struct bw_error *) = {
		suppliers_demo_seed, systems_demo_seed, components_demo_seed, risks_demo_seed,
	};
	for (size_t i = 0; i < BW_NELEM(steps); i++)
		if (steps[i](db, national, data_dir, err) != BW_OK)
			return err->code;
	return BW_OK;
}
