/* gaps: placeholder until the registers hub and gap roll-ups land. */
#include "registers/registers.h"

const struct route registers_routes[] = { { NULL } };
