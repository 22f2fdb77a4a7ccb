/*
 * assets: the static files compiled into the binary (nhsuk-frontend's CSS,
 * JS and favicons, and our bulwark.css/bulwark.js), found by name, with their
 * content type and a strong ETag (a SHA-256 prefix) worked out once, so the
 * binary serves them from any directory and browsers cache them safely.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

#define ASSETS_MAX 64

static char assets_etag[ASSETS_MAX][19];   /* "\"" + 16 hex + "\"" + NUL */
static pthread_once_t assets_once = PTHREAD_ONCE_INIT;

static void assets_hash_all(void)
{
	for (size_t i = 0; web_assets[i].name; i++) {
		/* More assets than slots is a build mistake, found by the tests. */
		if (i >= ASSETS_MAX)
			abort();
		uint8_t h[32];
		char hex[65];
		bw_sha256(web_assets[i].data, web_assets[i].len, h);
		bw_hex(h, 32, hex);
		assets_etag[i][0] = '"';
		memcpy(assets_etag[i] + 1, hex, 16);
		assets_etag[i][17] = '"';
		assets_etag[i][18] = 0;
	}
}

const struct embedded_file *web_asset_find(const char *name)
{
	if (!name)
		return NULL;
	if (strncmp(name, "/assets/", 8) == 0)
		name += 8;
	for (size_t i = 0; web_assets[i].name; i++)
		if (strcmp(web_assets[i].name, name) == 0)
			return &web_assets[i];
	return NULL;
}

static bool assets_ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

const char *web_asset_type(const struct embedded_file *f)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".woff2", "font/woff2" },
		{ ".json", "application/json" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	for (size_t i = 0; i < BW_NELEM(types); i++)
		if (assets_ends(f->name, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

const char *web_asset_etag(const struct embedded_file *f)
{
	pthread_once(&assets_once, assets_hash_all);
	ptrdiff_t i = f - web_assets;
	if (i < 0 || i >= ASSETS_MAX || !web_assets[i].name)
		return "\"0\"";
	return assets_etag[i];
}
