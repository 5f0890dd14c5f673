/* secret.h - the core's one reader of secrets: a password file (a Docker secret under
 * /run/secrets, a password_file: key) read whole, without its trailing newline. An error names
 * the file, never its content; a failed read leaves nothing in the buffer. */
#ifndef SD_SECRET_H
#define SD_SECRET_H

#include <stddef.h>

int sd_secret_read(const char *path, char *buf, size_t size, char *err, size_t errlen);

#endif
