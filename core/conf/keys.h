/* keys.h - key names as written in keymaps and drills (vim/tig style) and their codes.
 * A key is a Unicode code point for a character, or one of the SD_KEY_* codes below. */
#ifndef SD_KEYS_H
#define SD_KEYS_H

#include <stddef.h>

enum {
	SD_KEY_BASE = 0x110000,
	SD_KEY_ENTER = SD_KEY_BASE, SD_KEY_ESC, SD_KEY_TAB, SD_KEY_BTAB, SD_KEY_SPACE,
	SD_KEY_UP, SD_KEY_DOWN, SD_KEY_LEFT, SD_KEY_RIGHT, SD_KEY_PPAGE, SD_KEY_NPAGE,
	SD_KEY_HOME, SD_KEY_END, SD_KEY_BACKSPACE, SD_KEY_DELETE,
	SD_KEY_F0 = SD_KEY_BASE + 0x100,            /* SD_KEY_F0 + n for <Fn>, n = 1..12 */
	SD_KEY_CTRL = SD_KEY_BASE + 0x200,          /* SD_KEY_CTRL + 'a' .. 'z' for <C-x> */
	SD_KEY_RESIZE = SD_KEY_BASE + 0x300,        /* terminal resized (never in a keymap) */
	SD_KEY_NONE = -1,
};

/* One key name ("s", "<Enter>", "<C-x>", "<F5>") to a code; SD_KEY_NONE if unknown. */
int sd_key_from_name(const char *name);
/* A code point as a terminal delivers it to the code keymaps use: ' ' -> SD_KEY_SPACE,
 * '\n' '\r' -> SD_KEY_ENTER, '\t' -> SD_KEY_TAB, 27 -> SD_KEY_ESC, 127 -> SD_KEY_BACKSPACE,
 * 1..26 -> SD_KEY_CTRL + letter (^I, ^J, ^M as Tab and Enter); others unchanged. */
int sd_key_normalize(int key);
/* A code to its canonical name; BUF of at least 16 bytes. */
const char *sd_key_name(int key, char *buf, size_t size);

/* A key sequence as a drill writes it ("1/worker-1<Enter>d") to codes. Returns the count
 * (at most MAX are stored; KEYS may be NULL to count), or -1 with the offending byte offset
 * in *BAD_AT (an unknown <name>, a '<' that opens none - write <lt> - or bad UTF-8). */
int sd_keys_parse(const char *text, int *keys, size_t max, size_t *bad_at);

#endif
