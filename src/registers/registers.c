/* registers: puts the four registers' tables, routes, navigation and the
 * hourly sweep of unused component names together, and seeds them for the
 * demo estate in dependency order. */
#include "registers/registers.h"

#include "app/worker.h"
#include "registers/components.h"

static const struct web_nav_entry nav[] = {
	{ "Registers", "/registers", 0xFF },
	{ NULL, NULL, 0 },
};

static enum bw_err job_names_sweep(struct db *db, const struct db_job *job, struct bw_error *err)
{
	(void)job;
	int64_t removed;
	enum bw_err rc = components_names_sweep(db, &removed, err);
	if (rc == BW_OK && removed)
		log_info("registers: %lld component names no longer used were removed", (long long)removed);
	return rc;
}

static const struct worker_kind kinds[] = {
	{ "registers.names", job_names_sweep, 600, 3600 },
	{ NULL, NULL, 0, 0 },
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
	worker_add_kinds(kinds);
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
