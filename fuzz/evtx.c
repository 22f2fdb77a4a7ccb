/* libFuzzer driver: EVTX files (libevtx + the XML reader) through the scanner. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detect/detect.h"

static const char rules[] =
	"title: A\nlogsource: {product: windows, service: security}\n"
	"detection:\n  sel:\n    EventID: 4625\n  condition: sel\n";

static struct detect_engine *engine;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!engine) {
		struct bw_error err = { 0 };
		engine = detect_engine_new(NULL, &err);
		if (!engine || detect_engine_add_text(engine, rules, sizeof rules - 1, "r", &err) != 1 ||
		    detect_engine_compile(engine, &err))
			abort();
	}
	int fd = memfd_create("evtx", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct detect_stats st = { 0 };
	struct bw_error err = { 0 };
	struct detect_scanner *s = detect_scanner_new(engine, DETECT_FAST);
	detect_scan_file(s, path, DETECT_FORMAT_EVTX, NULL, NULL, &st, &err);
	detect_scanner_free(s);
	close(fd);
	return 0;
}
