#ifndef BERTH_BUILTIN_H
#define BERTH_BUILTIN_H

/*
 * The verbs of the berth command, one file each (agent/cmd_<verb>.c). Each
 * takes the arguments after the verb (argv[0] is the verb) and returns the
 * process exit status: 0 success, 2 error (1 is kept for "drift").
 */

#define EXIT_ERROR 2

int cmd_version(int argc, char **argv);
int cmd_cluster_info(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Report a usage mistake for `verb` on stderr and return EXIT_ERROR
 * (usage.c). */
int usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
