/* embedded.c - the files of themes/ and keymaps/ compiled into the binary (by core/embed.sh),
 * so it runs with nothing installed beside it. */
#include "conf/embedded.h"
#include "base/xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sd_embedded {
	const char *path;
	const char *text;
	size_t len;
};
extern const struct sd_embedded sd_embedded_table[];

const char *sd_embedded_file(const char *path, size_t *len)
{
	for (const struct sd_embedded *e = sd_embedded_table; path && e->path; e++) {
		if (strcmp(e->path, path) == 0) {
			if (len)
				*len = e->len;
			return e->text;
		}
	}
	return NULL;
}

struct embedded_folder {
	char *folder;
	const char **names; /* NULL-terminated */
};

static struct embedded_folder *embedded_folders;
static size_t embedded_nfolders;
static pthread_once_t embedded_once = PTHREAD_ONCE_INIT;

/* Index every "FOLDER/NAME.yaml" of the table once; the lists live as long as the program. */
static void embedded_index(void)
{
	for (const struct sd_embedded *e = sd_embedded_table; e->path; e++) {
		const char *slash = strrchr(e->path, '/');
		size_t len = strlen(e->path);
		if (!slash || len < 5 || strcmp(e->path + len - 5, ".yaml") != 0)
			continue;
		char *folder = xstrndup(e->path, (size_t)(slash - e->path));
		char *name = xstrndup(slash + 1, (size_t)(e->path + len - 5 - slash - 1));
		struct embedded_folder *f = NULL;
		for (size_t i = 0; i < embedded_nfolders; i++)
			if (strcmp(embedded_folders[i].folder, folder) == 0)
				f = &embedded_folders[i];
		if (!f) {
			embedded_folders = xrealloc(embedded_folders,
						    (embedded_nfolders + 1) * sizeof(*f));
			f = &embedded_folders[embedded_nfolders++];
			f->folder = folder;
			f->names = xcalloc(1, sizeof(*f->names));
		} else {
			free(folder);
		}
		size_t n = 0;
		while (f->names[n])
			n++;
		f->names = xrealloc(f->names, (n + 2) * sizeof(*f->names));
		f->names[n] = name;
		f->names[n + 1] = NULL;
	}
}

const char *const *sd_embedded_names(const char *folder)
{
	static const char *const none[] = {NULL};
	pthread_once(&embedded_once, embedded_index);
	for (size_t i = 0; folder && i < embedded_nfolders; i++)
		if (strcmp(embedded_folders[i].folder, folder) == 0)
			return embedded_folders[i].names;
	return none;
}

