/* text.c - UTF-8 and bounded strings (see text.h). */
#include "base/text.h"

#include <string.h>

size_t sd_utf8_encode(unsigned cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

int32_t sd_utf8_decode(const unsigned char *s, size_t len, size_t *used)
{
	if (len == 0)
		return -1;
	unsigned char c = s[0];
	int32_t cp;
	size_t n;
	if (c < 0x80) {
		*used = 1;
		return c;
	} else if ((c & 0xE0) == 0xC0) {
		cp = c & 0x1F;
		n = 2;
	} else if ((c & 0xF0) == 0xE0) {
		cp = c & 0x0F;
		n = 3;
	} else if ((c & 0xF8) == 0xF0) {
		cp = c & 0x07;
		n = 4;
	} else {
		return -1;
	}
	if (len < n)
		return -1;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return -1;
	*used = n;
	return cp;
}

size_t sd_utf8_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

size_t sd_utf8_count(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len && s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

size_t sd_utf8_prev(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	len--;
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	return len;
}

bool sd_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0, used; i < len; i += used) {
		if (p[i] < 0x80) {
			used = 1;
			continue;
		}
		if (sd_utf8_decode(p + i, len - i, &used) < 0)
			return false;
	}
	return true;
}

size_t sd_utf8_sanitize(const char *s, size_t len, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	for (size_t i = 0, used; i < len; i += used) {
		if (p[i] >= 0x80 && sd_utf8_decode(p + i, len - i, &used) < 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);   /* U+FFFD for this one byte */
			o += 3;
			used = 1;
			continue;
		}
		if (p[i] < 0x80)
			used = 1;
		memcpy(out + o, s + i, used);
		o += used;
	}
	out[o] = '\0';
	return o;
}

char *sd_strlcpy(char *dst, const char *src, size_t size)
{
	if (size == 0)
		return dst;
	size_t n = src ? strnlen(src, size - 1) : 0;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
	return dst;
}
