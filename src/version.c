#include "tznr/common.h"
#include "tznr/version.h"

unsigned tznr_version_number(void) { return TZNR_VERSION_NUMBER; }
const char *tznr_version_string(void) { return TZNR_VERSION_STRING; }
