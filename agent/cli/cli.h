#ifndef BERTH_CLI_H
#define BERTH_CLI_H

/*
 * agent/cli/: the command line (git's builtin/, curl's src/tool_*). It owns
 * the verbs, one file each (cmd_<verb>.c), the options they share
 * (target_options.h), the -o formats (output.h) and the usage errors
 * (usage.c); main.c holds only the table of verbs. It may call:
 * agent/daemon/ (cmd_run.c runs daemon_run), agent/source/, agent/forge/,
 * apply/, diff/. Nothing else of berth calls it.
 *
 * Each verb takes the arguments after the verb (argv[0] is the verb) and
 * returns the process exit status: 0 success, 2 error (1 is kept for
 * "drift").
 */

#define EXIT_ERROR 2

int cmd_version(int argc, char **argv);
int cmd_cluster_info(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Report a usage mistake for `verb` on stderr and return EXIT_ERROR
 * (usage.c). */
int usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
