/* embedded: files compiled into the binary by tools/embed.c. */
#ifndef BW_EMBEDDED_H
#define BW_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
	const char *name;
	const unsigned char *data;   /* NUL-terminated */
	size_t len;
};

#endif
