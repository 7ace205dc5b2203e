/* Shared helpers for the Check suites. */
#ifndef TZNR_TEST_H
#define TZNR_TEST_H
#include <check.h>
#include <stddef.h>
#include <stdint.h>
/* Absolute path of a file under tests/data (from $TZNR_TEST_DATA); static buffer per call
 * slot (8 rotating slots). */
const char *tt_data(const char *rel);
/* Read a whole file (aborts the test on failure); *len may be NULL. Caller frees. */
char *tt_read(const char *path, size_t *len);
/* Create a fresh temporary directory for the test; returns its path (static slot). */
const char *tt_tmpdir(void);
/* Run one suite and return the process exit status (0 if all passed). */
int tt_run(Suite *s);
#endif
