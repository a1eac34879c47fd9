#ifndef BERTH_HTTP_STATUS_H
#define BERTH_HTTP_STATUS_H

/* The reason phrase of an HTTP status (RFC 9110), or "" for one berth does
 * not name. */
const char *http_reason_phrase(long status);

#endif
