/* tznr: command-line front end. Uses only the public API of libtznr. */
#include <tznr/tznr.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    EXIT_OK = 0,
    EXIT_DATA = 1,
    EXIT_USAGE = 2,
    EXIT_IO = 3,
    EXIT_INTERNAL = 4
};

static const char STATUS_HELP[] =
    "Exit status:\n"
    "  0  success\n"
    "  1  invalid input data: malformed CSV or record, invalid schema, malformed CLK file,\n"
    "     empty or non-UTF-8 secret, CLK files of different filter lengths, size limit\n"
    "  2  usage error (bad command line)\n"
    "  3  I/O error: a file cannot be read or written, or the output exists (see --force)\n"
    "  4  internal error (out of memory, cryptographic library failure, ...)\n";

static const char MAIN_HELP[] =
    "Usage: tznr COMMAND [OPTIONS] [ARGS]\n"
    "       tznr --help | --version | help COMMAND\n"
    "\n"
    "Privacy-preserving record linkage with keyed Bloom-filter encodings (CLKs),\n"
    "compatible with clkhash 0.18 and anonlink 0.15.\n"
    "\n"
    "Commands:\n"
    "  keygen   create a random secret for the data custodians, in a key file\n"
    "  encode   encode the records of a CSV file into CLKs (data custodian)\n"
    "  match    find the pairs of CLKs above a Dice threshold (linkage unit)\n"
    "  help     show the help of a command\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help and exit\n"
    "  -V, --version  show the version and exit\n"
    "\n"
    "Run 'tznr COMMAND --help' for the options of a command.\n"
    "\n";

static const char ENCODE_HELP[] =
    "Usage: tznr encode --schema SCHEMA.json --secret-file KEY [--output OUT.json]\n"
    "                   [--force] INPUT.csv\n"
    "\n"
    "Encode every data row of INPUT.csv (\"-\" for standard input) into a CLK, using the\n"
    "linkage schema SCHEMA.json and the secret shared by the data custodians, read from the\n"
    "file KEY (UTF-8; one trailing newline is ignored). The CLKs are written as clkhash JSON\n"
    "{\"clks\": [...]}, one per row, in row order. If any row is invalid, nothing is written\n"
    "and every failing row is reported as FILE:LINE: column 'NAME': RULE.\n"
    "\n"
    "Options:\n"
    "  -s, --schema FILE       linkage schema (clkhash v3 JSON)\n"
    "  -k, --secret-file FILE  file holding the shared secret (never printed)\n"
    "  -o, --output FILE       output file; \"-\" or no option for standard output.\n"
    "                          Written atomically: no partial file is ever left behind.\n"
    "  -f, --force             replace OUTPUT if it exists\n"
    "  -h, --help              show this help and exit\n"
    "\n";

static const char KEYGEN_HELP[] =
    "Usage: tznr keygen --output KEY [--force]\n"
    "\n"
    "Create a new secret for the data custodians: 256 bits from OpenSSL's random generator,\n"
    "written as base64 text to the file KEY (mode 0600, written atomically). Share it with\n"
    "the other custodians over a secure channel; never give it to the linkage unit. The\n"
    "secret is never printed.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE       the key file to create (required; \"-\" is refused)\n"
    "  -f, --force             replace FILE if it exists\n"
    "  -h, --help              show this help and exit\n"
    "\n";

static const char MATCH_HELP[] =
    "Usage: tznr match --threshold T [--solver greedy|none] [--output LINKS.csv] [--force]\n"
    "                  A.json B.json\n"
    "\n"
    "Compare every CLK of A.json with every CLK of B.json (clkhash JSON files, \"-\" for\n"
    "standard input for one of them) with the Dice coefficient and keep the pairs with a\n"
    "score >= T, sorted by score descending, then A row, then B row. With the greedy solver\n"
    "(the default), pairs are then accepted in that order when neither record is linked yet\n"
    "(1:1 links, as anonlink's greedy_solve); with 'none', all candidate pairs are written.\n"
    "The output is CSV: a_index,b_index,score (0-based data rows).\n"
    "\n"
    "Options:\n"
    "  -t, --threshold T       minimum Dice score, a number in [0, 1]\n"
    "      --solver NAME       greedy (default) or none\n"
    "  -o, --output FILE       output file; \"-\" or no option for standard output.\n"
    "                          Written atomically: no partial file is ever left behind.\n"
    "  -f, --force             replace OUTPUT if it exists\n"
    "  -h, --help              show this help and exit\n"
    "\n";

static int exit_for(tznr_error_t rc)
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
static int report(const char *cmd, tznr_error_t rc)
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
static int report_data(const char *cmd, tznr_error_t rc)
{
    int st = report(cmd, rc);
    return st == EXIT_INTERNAL ? EXIT_DATA : st;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tznr%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'tznr%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return EXIT_USAGE;
}

static int print_help(const char *text)
{
    if (fputs(text, stdout) < 0 || fputs(STATUS_HELP, stdout) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "tznr: cannot write the help: %s\n", strerror(errno));
        return EXIT_IO;
    }
    return EXIT_OK;
}

/* Report a getopt_long error ('?' or ':'), after it returned c. */
static int option_error(const char *cmd, int c, char **argv, const struct option *longopts)
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
static int output_taken(const char *cmd, const char *out, int force)
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

static int cmd_encode(int argc, char **argv)
{
    static const struct option opts[] = {
        {"schema", required_argument, NULL, 's'},
        {"secret-file", required_argument, NULL, 'k'},
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *schema_path = NULL, *secret_path = NULL, *out_path = NULL;
    int force = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:k:o:fh", opts, NULL)) != -1) {
        switch (c) {
        case 's': schema_path = optarg; break;
        case 'k': secret_path = optarg; break;
        case 'o': out_path = optarg; break;
        case 'f': force = 1; break;
        case 'h': return print_help(ENCODE_HELP);
        default: return option_error("encode", c, argv, opts);
        }
    }
    if (!schema_path)
        return usage_error("encode", "missing --schema");
    if (!secret_path)
        return usage_error("encode", "missing --secret-file");
    if (optind >= argc)
        return usage_error("encode", "missing the input CSV file");
    if (argc - optind > 1)
        return usage_error("encode", "unexpected argument '%s'", argv[optind + 1]);
    const char *input = argv[optind];
    if (!out_path)
        out_path = "-";
    if (strcmp(input, "-") == 0 && (strcmp(schema_path, "-") == 0 || strcmp(secret_path, "-") == 0))
        return usage_error("encode", "standard input can be used for one file only");
    if (output_taken("encode", out_path, force))
        return EXIT_IO;

    tznr_schema_t *schema = NULL;
    tznr_encoder_t *enc = NULL;
    tznr_clkset_t *set = NULL;
    int status;
    tznr_error_t rc = tznr_schema_new_from_file(&schema, schema_path);
    if (rc) {
        status = report("encode", rc);
        goto done;
    }
    rc = tznr_encoder_new_from_secret_file(&enc, schema, secret_path);
    if (rc) {
        status = report_data("encode", rc);
        goto done;
    }
    rc = tznr_encoder_encode_csv(enc, input, &set);
    if (rc) {
        status = report("encode", rc);
        goto done;
    }
    rc = tznr_clkset_write_json(set, out_path, force);
    status = rc ? report("encode", rc) : EXIT_OK;
done:
    tznr_clkset_free(set);
    tznr_encoder_free(enc);
    tznr_schema_free(schema);
    return status;
}

static int parse_threshold(const char *s, double *out)
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

static int cmd_match(int argc, char **argv)
{
    enum { OPT_SOLVER = 1000 };
    static const struct option opts[] = {
        {"threshold", required_argument, NULL, 't'},
        {"solver", required_argument, NULL, OPT_SOLVER},
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *thr_text = NULL, *solver = "greedy", *out_path = NULL;
    int force = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:o:fh", opts, NULL)) != -1) {
        switch (c) {
        case 't': thr_text = optarg; break;
        case OPT_SOLVER: solver = optarg; break;
        case 'o': out_path = optarg; break;
        case 'f': force = 1; break;
        case 'h': return print_help(MATCH_HELP);
        default: return option_error("match", c, argv, opts);
        }
    }
    double threshold = 0.0;
    if (!thr_text)
        return usage_error("match", "missing --threshold");
    if (parse_threshold(thr_text, &threshold) != 0)
        return usage_error("match", "--threshold '%s' is not a number in [0, 1]", thr_text);
    int greedy;
    if (strcmp(solver, "greedy") == 0)
        greedy = 1;
    else if (strcmp(solver, "none") == 0)
        greedy = 0;
    else
        return usage_error("match", "--solver '%s': expected greedy or none", solver);
    if (argc - optind < 2)
        return usage_error("match", "expected two CLK files, A.json and B.json");
    if (argc - optind > 2)
        return usage_error("match", "unexpected argument '%s'", argv[optind + 2]);
    const char *a_path = argv[optind], *b_path = argv[optind + 1];
    if (strcmp(a_path, "-") == 0 && strcmp(b_path, "-") == 0)
        return usage_error("match", "standard input can be used for one file only");
    if (!out_path)
        out_path = "-";
    if (output_taken("match", out_path, force))
        return EXIT_IO;

    tznr_clkset_t *a = NULL, *b = NULL;
    tznr_candidates_t *cands = NULL, *links = NULL;
    int status;
    tznr_error_t rc = tznr_clkset_read_json(&a, a_path);
    if (!rc)
        rc = tznr_clkset_read_json(&b, b_path);
    if (rc) {
        status = report("match", rc);
        goto done;
    }
    if (tznr_clkset_count(a) == 0 || tznr_clkset_count(b) == 0) {
        /* nothing to compare (an empty set may not even have a filter length) */
        rc = tznr_candidates_new(&cands);
    } else {
        rc = tznr_match_all_pairs(&cands, a, b, threshold);
        if (rc == TZNR_EBUFSIZE) {
            fprintf(stderr, "tznr match: %s: %s has %zu-bit filters but %s has %zu-bit filters\n",
                    tznr_strerror(TZNR_EFORMAT), a_path, tznr_clkset_filter_bits(a), b_path,
                    tznr_clkset_filter_bits(b));
            status = EXIT_DATA;
            goto done;
        }
    }
    if (rc) {
        status = report("match", rc);
        goto done;
    }
    if (greedy) {
        rc = tznr_solve_greedy(&links, cands);
        if (rc) {
            status = report("match", rc);
            goto done;
        }
    }
    rc = tznr_candidates_write_csv(greedy ? links : cands, out_path, force);
    status = rc ? report("match", rc) : EXIT_OK;
done:
    tznr_candidates_free(links);
    tznr_candidates_free(cands);
    tznr_clkset_free(b);
    tznr_clkset_free(a);
    return status;
}

static int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out_path = NULL;
    int force = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case 'f': force = 1; break;
        case 'h': return print_help(KEYGEN_HELP);
        default: return option_error("keygen", c, argv, opts);
        }
    }
    if (!out_path)
        return usage_error("keygen", "missing --output");
    if (strcmp(out_path, "-") == 0)
        return usage_error("keygen", "a secret is never written to standard output");
    if (optind < argc)
        return usage_error("keygen", "unexpected argument '%s'", argv[optind]);
    if (output_taken("keygen", out_path, force))
        return EXIT_IO;
    tznr_error_t rc = tznr_secret_generate_file(out_path, force);
    return rc ? report("keygen", rc) : EXIT_OK;
}

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

static const struct command COMMANDS[] = {
    {"keygen", cmd_keygen, KEYGEN_HELP},
    {"encode", cmd_encode, ENCODE_HELP},
    {"match", cmd_match, MATCH_HELP},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(MAIN_HELP, stderr);
        return EXIT_USAGE;
    }
    const char *arg = argv[1];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
        return print_help(MAIN_HELP);
    if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
        printf("tznr %s\n", tznr_version_string());
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
    }
    if (strcmp(arg, "help") == 0) {
        if (argc == 2)
            return print_help(MAIN_HELP);
        if (argc > 3)
            return usage_error("help", "unexpected argument '%s'", argv[3]);
        const struct command *cmd = find_command(argv[2]);
        if (!cmd)
            return usage_error(NULL, "unknown command '%s'", argv[2]);
        return print_help(cmd->help);
    }
    const struct command *cmd = find_command(arg);
    if (!cmd) {
        if (arg[0] == '-')
            return usage_error(NULL, "unknown option '%s'", arg);
        return usage_error(NULL, "unknown command '%s'", arg);
    }
    return cmd->run(argc - 1, argv + 1);
}
