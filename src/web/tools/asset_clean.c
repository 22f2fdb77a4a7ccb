/*
 * asset-clean: prepares nhsuk-frontend's compiled files for embedding, at
 * build time. From CSS it removes the @font-face rules (they fetch the
 * Frutiger font from assets.nhs.uk, which our Content-Security-Policy blocks
 * and which would tell a third party who uses the service; the font stack
 * falls back to Arial) and the source-map comment; from JS the source-map
 * comment. It then fails the build if the CSS still refers to anything
 * outside the page (url(http...), url(//...), @import), so an upgrade of the
 * package cannot quietly break the policy.
 *   asset-clean IN OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *clean_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		exit(1);
	}
	size_t cap = 1 << 16, len = 0;
	char *p = malloc(cap + 1);
	size_t got;
	while (p && (got = fread(p + len, 1, cap - len, f)) > 0) {
		len += got;
		if (len == cap) {
			cap *= 2;
			p = realloc(p, cap + 1);
		}
	}
	if (!p) {
		fprintf(stderr, "asset-clean: out of memory\n");
		exit(1);
	}
	fclose(f);
	p[len] = 0;
	*n = len;
	return p;
}

/* Removes every occurrence of a region that starts with `open` and ends
 * with the first `close` after it (inclusive). Returns how many. */
static int clean_cut(char *p, size_t *n, const char *open, const char *close)
{
	int count = 0;
	char *s;
	while ((s = strstr(p, open)) != NULL) {
		char *e = strstr(s + strlen(open), close);
		e = e ? e + strlen(close) : p + *n;
		memmove(s, e, (size_t)(p + *n - e) + 1);
		*n -= (size_t)(e - s);
		count++;
	}
	return count;
}

static int clean_ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: asset-clean IN OUT\n");
		return 2;
	}
	size_t n;
	char *p = clean_read(argv[1], &n);
	if (clean_ends(argv[1], ".css")) {
		clean_cut(p, &n, "@font-face{", "}");
		clean_cut(p, &n, "@font-face {", "}");
		clean_cut(p, &n, "/*# sourceMappingURL=", "*/");
		const char *bad[] = { "url(http", "url(\"http", "url('http", "url(//", "url(\"//",
				      "url('//", "@import" };
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			if (strstr(p, bad[i])) {
				fprintf(stderr, "asset-clean: %s still contains %s: the page would fetch "
						"from outside the site, which the Content-Security-Policy "
						"blocks\n", argv[1], bad[i]);
				return 1;
			}
		}
	} else if (clean_ends(argv[1], ".js")) {
		clean_cut(p, &n, "//# sourceMappingURL=", "\n");
	}
	FILE *out = fopen(argv[2], "wb");
	if (!out || fwrite(p, 1, n, out) != n || fclose(out) != 0) {
		perror(argv[2]);
		return 1;
	}
	free(p);
	return 0;
}
