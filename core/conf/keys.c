/* keys.c - key names as keymaps and drills write them (vim/tig style) to key codes and back.
 * One spelling per key comes out (sd_key_name), and it reads back as the same key; several
 * are accepted going in (<CR> and <Return> for <Enter>, any letter case inside the brackets,
 * <U+XXXX> for any character). */
#include "conf/keys.h"
#include "base/text.h"
#include "base/xalloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

struct named_key {
	const char *name;
	int key;
};

/* The first spelling of each key is the canonical one. */
static const struct named_key named_keys[] = {
	{"Enter", SD_KEY_ENTER},
	{"CR", SD_KEY_ENTER},
	{"Return", SD_KEY_ENTER},
	{"Esc", SD_KEY_ESC},
	{"Escape", SD_KEY_ESC},
	{"Tab", SD_KEY_TAB},
	{"S-Tab", SD_KEY_BTAB},
	{"BTab", SD_KEY_BTAB},
	{"Space", SD_KEY_SPACE},
	{"Up", SD_KEY_UP},
	{"Down", SD_KEY_DOWN},
	{"Left", SD_KEY_LEFT},
	{"Right", SD_KEY_RIGHT},
	{"PageUp", SD_KEY_PPAGE},
	{"PgUp", SD_KEY_PPAGE},
	{"PageDown", SD_KEY_NPAGE},
	{"PgDn", SD_KEY_NPAGE},
	{"Home", SD_KEY_HOME},
	{"End", SD_KEY_END},
	{"BS", SD_KEY_BACKSPACE},
	{"Backspace", SD_KEY_BACKSPACE},
	{"Del", SD_KEY_DELETE},
	{"Delete", SD_KEY_DELETE},
	{"lt", '<'},
	{"gt", '>'},
};

#define MAX_NAME 16 /* longest bracketed name we accept, brackets included */

int sd_key_normalize(int key)
{
	switch (key) {
	case ' ':
		return SD_KEY_SPACE;
	case '\n':
	case '\r':
	case SD_KEY_CTRL + 'j':
	case SD_KEY_CTRL + 'm':
		return SD_KEY_ENTER;
	case '\t':
	case SD_KEY_CTRL + 'i':
		return SD_KEY_TAB;
	case 27:
		return SD_KEY_ESC;
	case 127:
		return SD_KEY_BACKSPACE;
	default:
		break;
	}
	if (key >= 1 && key <= 26)
		return sd_key_normalize(SD_KEY_CTRL + 'a' + key - 1);
	return key;
}

/* The inside of <...> (LEN bytes at NAME), any letter case. */
static int bracket_key(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(named_keys) / sizeof(named_keys[0]); i++)
		if (strlen(named_keys[i].name) == len && strncasecmp(named_keys[i].name, name, len) == 0)
			return named_keys[i].key;
	if (len >= 2 && len <= 3 && (name[0] == 'F' || name[0] == 'f')) {
		int n = 0;
		for (size_t i = 1; i < len; i++) {
			if (name[i] < '0' || name[i] > '9')
				return SD_KEY_NONE;
			n = n * 10 + (name[i] - '0');
		}
		if (name[1] == '0' || n < 1 || n > 12)
			return SD_KEY_NONE;
		return SD_KEY_F0 + n;
	}
	if (len >= 6 && len <= 8 && (name[0] == 'U' || name[0] == 'u') && name[1] == '+') {
		/* <U+001D>: what sd_key_name writes for a character that does not print */
		long cp = 0;
		for (size_t i = 2; i < len; i++) {
			char c = name[i];
			int digit = c >= '0' && c <= '9'   ? c - '0'
				    : c >= 'a' && c <= 'f' ? c - 'a' + 10
				    : c >= 'A' && c <= 'F' ? c - 'A' + 10
							   : -1;
			if (digit < 0)
				return SD_KEY_NONE;
			cp = cp * 16 + digit;
		}
		if (cp < 1 || cp >= SD_KEY_BASE || (cp >= 0xD800 && cp <= 0xDFFF))
			return SD_KEY_NONE;
		return sd_key_normalize((int)cp);
	}
	if (len == 3 && (name[0] == 'C' || name[0] == 'c') && name[1] == '-') {
		char c = name[2];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c >= 'a' && c <= 'z')
			return sd_key_normalize(SD_KEY_CTRL + c);
	}
	return SD_KEY_NONE;
}

/* One key at TEXT (LEN bytes): a bracketed name or one character; bytes used in *USED. */
static int scan_key(const char *text, size_t len, size_t *used)
{
	if (text[0] == '<') {
		/* '<' always opens a name; a literal one is <lt> */
		const char *close = memchr(text + 1, '>', len - 1 < MAX_NAME ? len - 1 : MAX_NAME);
		if (close && close > text + 1) {
			int key = bracket_key(text + 1, (size_t)(close - text - 1));
			if (key != SD_KEY_NONE) {
				*used = (size_t)(close - text) + 1;
				return key;
			}
		}
		return SD_KEY_NONE;
	}
	int32_t cp = sd_utf8_decode((const unsigned char *)text, len, used);
	if (cp <= 0)
		return SD_KEY_NONE;
	return sd_key_normalize(cp);
}

int sd_key_from_name(const char *name)
{
	if (!name || !*name)
		return SD_KEY_NONE;
	if (strcmp(name, "<") == 0) /* alone, it can only mean itself */
		return '<';
	size_t len = strlen(name), used = 0;
	int key = scan_key(name, len, &used);
	if (key == SD_KEY_NONE || used != len)
		return SD_KEY_NONE;
	return key;
}

static bool printable(int cp)
{
	return cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0) &&
	       !(cp >= 0xD800 && cp <= 0xDFFF) && cp < SD_KEY_BASE;
}

const char *sd_key_name(int key, char *buf, size_t size)
{
	if (!buf || size == 0)
		return "";
	key = sd_key_normalize(key);
	if (key == '<') {
		snprintf(buf, size, "<lt>");
		return buf;
	}
	for (size_t i = 0; key >= SD_KEY_BASE && i < sizeof(named_keys) / sizeof(named_keys[0]);
	     i++) {
		if (named_keys[i].key == key) {
			snprintf(buf, size, "<%s>", named_keys[i].name);
			return buf;
		}
	}
	if (key > SD_KEY_F0 && key <= SD_KEY_F0 + 12)
		snprintf(buf, size, "<F%d>", key - SD_KEY_F0);
	else if (key >= SD_KEY_CTRL + 'a' && key <= SD_KEY_CTRL + 'z')
		snprintf(buf, size, "<C-%c>", (char)(key - SD_KEY_CTRL));
	else if (key == SD_KEY_RESIZE)
		snprintf(buf, size, "<Resize>");
	else if (key >= 0 && printable(key) && size > 4) {
		size_t n = sd_utf8_encode((unsigned)key, buf);
		buf[n] = '\0';
	} else if (key >= 0 && key < SD_KEY_BASE)
		snprintf(buf, size, "<U+%04X>", (unsigned)key);
	else
		snprintf(buf, size, "<None>");
	return buf;
}

int sd_keys_parse(const char *text, int *keys, size_t max, size_t *bad_at)
{
	size_t len = text ? strlen(text) : 0, at = 0;
	int count = 0;
	while (at < len) {
		size_t used = 0;
		int key = scan_key(text + at, len - at, &used);
		if (key == SD_KEY_NONE) {
			if (bad_at)
				*bad_at = at;
			return -1;
		}
		if (keys && (size_t)count < max)
			keys[count] = key;
		count++;
		at += used;
	}
	return count;
}
