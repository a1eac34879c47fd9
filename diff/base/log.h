#ifndef BERTH_LOG_H
#define BERTH_LOG_H

#include <json-c/json.h>
#include <stdbool.h>

/*
 * berth run's log: one line per event on stderr, in logfmt, or as a JSON
 * object after log_set_json(true). Each line is written whole, whatever
 * thread writes it, and holds no control character: logfmt quotes a value
 * with buf_add_printable()'s escapes (and \" and \\), JSON with its own
 * (\u001b, \u007f, \u009b; \ufffd for a byte that is no UTF-8). Callers
 * never pass a secret.
 */
void log_set_json(bool json);

/* Write "debug" lines too (--log-level debug); they are dropped else. */
void log_set_debug(bool debug);
bool log_debug_enabled(void);

/* A line with the time, the level ("debug", "info", "warn", "error"), the message
 * and `fields` (strings; taken: json_object_put). */
void log_fields(const char *level, const char *msg, struct json_object *fields);

/* log_fields() with "key", value pairs (strings), ending with NULL. */
void log_line(const char *level, const char *msg, ...) __attribute__((sentinel));

#endif
