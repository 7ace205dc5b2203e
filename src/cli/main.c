/* tznr: command-line front end. Uses only the public API of libtznr. */
#include <tznr/tznr.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"

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
    "  link     probabilistic linkage of two containers, Fellegi-Sunter + EM (linkage unit)\n"
    "  dedupe   probabilistic deduplication of one container into clusters (linkage unit)\n"
    "  audit    what the shared encodings alone reveal: bits, duplicates, field frequencies\n"
    "  help     show the help of a command\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help and exit\n"
    "  -V, --version  show the version and exit\n"
    "\n"
    "Run 'tznr COMMAND --help' for the options of a command.\n"
    "\n";

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

static const struct command COMMANDS[] = {
    {"keygen", cmd_keygen, KEYGEN_HELP},
    {"encode", cmd_encode, ENCODE_HELP},
    {"match", cmd_match, MATCH_HELP},
    {"link", cmd_link, LINK_HELP},
    {"dedupe", cmd_dedupe, DEDUPE_HELP},
    {"audit", cmd_audit, AUDIT_HELP},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    return NULL;
}

/* A signal that ends the program removes the temporary files of unfinished outputs, then
 * ends it the way the signal would (exit status 128 + signal number). */
static void on_signal(int sig)
{
    tznr_abort_outputs();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv)
{
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
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
