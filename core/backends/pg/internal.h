/* internal.h - what the files of the PostgreSQL backend (pg.c, session.c) share, private to
 * them. */
#ifndef SD_PG_INTERNAL_H
#define SD_PG_INTERNAL_H

/* libpq messages span lines ("...failed: FATAL:  ...\n\tIs the server running..."): one
 * line, single spaces, no trailing blank; SECRET (may be NULL) replaced by "***". */
void pg_tidy_message(char *s, const char *secret);

#endif
