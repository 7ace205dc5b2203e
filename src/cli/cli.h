/* Shared pieces of the tznr command: exit statuses, error reporting, option errors,
 * output checks. Each command lives in its own cmd_*.c file and uses only the public API. */
#ifndef TZNR_CLI_H
#define TZNR_CLI_H
#include <getopt.h>
#include <tznr/tznr.h>

enum {
    EXIT_OK = 0,
    EXIT_DATA = 1,
    EXIT_USAGE = 2,
    EXIT_IO = 3,
    EXIT_INTERNAL = 4
};

extern const char STATUS_HELP[];

/* exit status for a library status code */
int exit_for(tznr_error_t rc);
/* print "tznr CMD: <status text>: <detail>" on stderr; return the exit status */
int report(const char *cmd, tznr_error_t rc);
/* same, but a status that is not input/IO counts as bad input data (exit 1) */
int report_data(const char *cmd, tznr_error_t rc);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int usage_error(const char *cmd, const char *fmt, ...);
int print_help(const char *text);
int option_error(const char *cmd, int c, char **argv, const struct option *longopts);
/* 1 (after printing) if `out` exists and may not be replaced */
int output_taken(const char *cmd, const char *out, int force);
/* One file named by a command line, with its role ("--output", "input B.json", ...). */
typedef struct cli_file {
    const char *path;   /* NULL or "-" (a standard stream): never clashes */
    const char *role;
    int output;         /* 1: the command writes it */
} cli_file;
/* 1 (after a usage message) if an output is the same file as another output or an input
 * (same existing file, or the same path once its directory is resolved): writing it would
 * destroy the other, --force or not. */
int files_clash(const char *cmd, const cli_file *files, size_t n);
/* a whole-string unsigned integer in [lo, hi] (decimal, or hex with 0x if hex); 1 if ok */
int parse_uint(const char *s, uint64_t lo, uint64_t hi, int hex, uint64_t *out);
/* a number in [0, 1], whole string; 1 on success */
int parse_threshold(const char *s, double *out);

/* progress on stderr when it is a terminal; silent otherwise. Pass cli_progress_cb and a
 * cli_progress* as the library's tznr_progress_fn and user pointer. */
typedef struct cli_progress {
    const char *label;
    int enabled, shown;
    double start, last;
} cli_progress;
void cli_progress_init(cli_progress *p, const char *label);
int cli_progress_cb(uint64_t done, uint64_t total, void *user);
void cli_progress_done(cli_progress *p);

/* commands */
int cmd_encode(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_link(int argc, char **argv);
int cmd_dedupe(int argc, char **argv);
int cmd_audit(int argc, char **argv);
extern const char ENCODE_HELP[], MATCH_HELP[], KEYGEN_HELP[], LINK_HELP[], DEDUPE_HELP[];
extern const char AUDIT_HELP[];
#endif
