/* Shared pieces of the tznr command (see cli.h). */
#include <tznr/tznr.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

const char STATUS_HELP[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  invalid input data: malformed CSV or record, invalid schema, malformed CLK file,\n"
    "     empty or non-UTF-8 secret, CLK files of different filter lengths, size limit\n"
    "  2  usage error (bad command line)\n"
    "  3  I/O error: a file cannot be read or written, or the output exists (see --force)\n"
    "  4  internal error (out of memory, cryptographic library failure, ...)\n";

int exit_for(tznr_error_t rc)
{
    switch (rc) {
    case TZNR_OK:
        return EXIT_OK;
    case TZNR_EINPUT:
    case TZNR_EFORMAT:
    case TZNR_ESCHEMA:
    case TZNR_ELIMIT:
        return EXIT_DATA;
    case TZNR_EIO:
    case TZNR_EEXIST:
        return EXIT_IO;
    default:
        return EXIT_INTERNAL;
    }
}

/* Print "tznr CMD: <status text>: <detail>" and return the exit status for rc. */
int report(const char *cmd, tznr_error_t rc)
{
    const char *detail = tznr_last_error_message();
    if (detail && *detail)
        fprintf(stderr, "tznr %s: %s: %s\n", cmd, tznr_strerror(rc), detail);
    else
        fprintf(stderr, "tznr %s: %s\n", cmd, tznr_strerror(rc));
    return exit_for(rc);
}

/* Same, for a status that means bad input data in this context (e.g. TZNR_EINVAL for an
 * empty secret file), whatever its general class. */
int report_data(const char *cmd, tznr_error_t rc)
{
    int st = report(cmd, rc);
    return st == EXIT_INTERNAL ? EXIT_DATA : st;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tznr%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'tznr%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return EXIT_USAGE;
}

int print_help(const char *text)
{
    if (fputs(text, stdout) < 0 || fputs(STATUS_HELP, stdout) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "tznr: cannot write the help: %s\n", strerror(errno));
        return EXIT_IO;
    }
    return EXIT_OK;
}

/* Report a getopt_long error ('?' or ':'), after it returned c. */
int option_error(const char *cmd, int c, char **argv, const struct option *longopts)
{
    const char *arg = optind > 0 ? argv[optind - 1] : NULL;
    int is_long = arg && strncmp(arg, "--", 2) == 0 && arg[2] != '\0';
    if (c == ':') {
        if (is_long)
            return usage_error(cmd, "option '%s' needs a value", arg);
        return usage_error(cmd, "option '-%c' needs a value", optopt);
    }
    if (optopt == 0)
        return usage_error(cmd, "unknown or ambiguous option '%s'", arg ? arg : "?");
    if (is_long && strchr(arg, '=')) {
        for (const struct option *lo = longopts; lo->name; lo++)
            if (lo->val == optopt && lo->has_arg == no_argument)
                return usage_error(cmd, "option '--%s' takes no value", lo->name);
    }
    if (optopt > ' ' && optopt < 127)
        return usage_error(cmd, "unknown option '-%c'", optopt);
    return usage_error(cmd, "unknown option '%s'", arg ? arg : "?");
}

/* An output that exists is refused before any work is done (the library checks again when
 * it writes). */
int output_taken(const char *cmd, const char *out, int force)
{
    struct stat st;
    if (force || !out || strcmp(out, "-") == 0)
        return 0;
    if (lstat(out, &st) != 0)
        return 0;
    fprintf(stderr, "tznr %s: %s: %s: exists (use --force to overwrite)\n", cmd,
            tznr_strerror(TZNR_EEXIST), out);
    return 1;
}

/* dir(path) resolved + "/" + base(path), in buf; the raw path if the directory does not
 * resolve (then only the same text matches) */
static const char *canonical(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX], real[PATH_MAX];
    const char *base = slash ? slash + 1 : path;
    if (slash) {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir)
            return path;
        memcpy(dir, path, n);
        dir[n] = '\0';
        if (n == 0)
            strcpy(dir, "/");
    } else {
        strcpy(dir, ".");
    }
    if (!realpath(dir, real) || (size_t)snprintf(buf, size, "%s/%s", real, base) >= size)
        return path;
    return buf;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb)
        return 0;
    char ca[PATH_MAX + 256], cb[PATH_MAX + 256];   /* neither exists yet: compare the names */
    return strcmp(canonical(a, ca, sizeof ca), canonical(b, cb, sizeof cb)) == 0;
}

int files_clash(const char *cmd, const cli_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!files[i].output || !files[i].path || strcmp(files[i].path, "-") == 0)
            continue;
        for (size_t j = 0; j < n; j++) {
            if (j == i || !files[j].path || strcmp(files[j].path, "-") == 0 ||
                (files[j].output && j < i))   /* each pair of outputs once */
                continue;
            if (same_file(files[i].path, files[j].path)) {
                usage_error(cmd, "'%s' is both %s and %s: writing it would destroy the "
                            "other (--force does not allow this)", files[i].path,
                            files[i].role, files[j].role);
                return 1;
            }
        }
    }
    return 0;
}

/* a whole-string unsigned integer in [lo, hi] (decimal, or hex with 0x if hex); 1 if ok */
int parse_uint(const char *s, uint64_t lo, uint64_t hi, int hex, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, hex ? 0 : 10);
    if (errno || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

int parse_threshold(const char *s, double *out)
{
    char *end;
    if (!*s || (*s != '-' && *s != '+' && *s != '.' && (*s < '0' || *s > '9')))
        return -1;
    errno = 0;
    double t = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE || isnan(t) || t < 0.0 || t > 1.0)
        return -1;
    *out = t;
    return 0;
}

