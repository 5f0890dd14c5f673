/* jsonscan.c - pull scanner for JSON: walk, compare keys, take a few values, skip the rest fast. */
#include "base/jsonscan.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "base/arena.h"

#include <stdint.h>
#include <stdio.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* byte classes for skipping containers: 1 quote, 2 opener, 3 closer */
static const unsigned char skip_class[256] = {
	['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3,
};

void js_init(struct js *s, const char *buf, size_t len)
{
	s->start = s->p = buf ? buf : "";
	s->end = s->p + (buf ? len : 0);
	s->err = JS_OK;
	s->err_at = NULL;
}

static void fail(struct js *s, int err)
{
	if (s->err == JS_OK) {
		s->err = err;
		s->err_at = s->p;
	}
}

static inline int peek(struct js *s)
{
	const char *p = s->p;
	while (p < s->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	s->p = p;
	if (p == s->end) {
		fail(s, JS_EOF);
		return -1;
	}
	return (unsigned char)*p;
}

int js_peek(struct js *s)
{
	return s->err ? -1 : peek(s);
}

/* P is just after an opening quote: find the closing one, leave P after it. */
static void skip_string_body(struct js *s)
{
	const char *begin = s->p, *p = s->p;
	for (;;) {
		const char *q = memchr(p, '"', (size_t)(s->end - p));
		if (!q) {
			s->p = s->end;
			fail(s, JS_EOF);
			return;
		}
		const char *b = q;
		while (b > begin && b[-1] == '\\')
			b--;
		p = q + 1;
		if (((q - b) & 1) == 0) {
			s->p = p;
			return;
		}
	}
}

static void skip_literal(struct js *s, const char *lit, size_t len)
{
	size_t have = (size_t)(s->end - s->p);
	if (have < len) {
		if (memcmp(s->p, lit, have) == 0) {
			s->p = s->end;
			fail(s, JS_EOF);
		} else {
			fail(s, JS_BAD);
		}
		return;
	}
	if (memcmp(s->p, lit, len) != 0) {
		fail(s, JS_BAD);
		return;
	}
	s->p += len;
}

static inline bool number_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static void skip_number(struct js *s)
{
	const char *p = s->p;
	while (p < s->end && number_byte((unsigned char)*p))
		p++;
	s->p = p;
	if (p == s->end)
		fail(s, JS_EOF);   /* more digits may follow in the next bytes */
}

/* bytes that end a run inside a string */
static const unsigned char string_stop[256] = {['"'] = 1, ['\\'] = 1};

/* P is on '{' or '[': skip to after the matching closer. Strings are skipped inline: most
 * are short (keys, IDs), where a library call per string costs more than it saves. */
static void skip_container(struct js *s)
{
	const unsigned char *p = (const unsigned char *)s->p + 1;
	const unsigned char *end = (const unsigned char *)s->end;
	int depth = 1;
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
#endif
	for (;;) {
		while (end - p >= 4 && !skip_class[p[0]] && !skip_class[p[1]] && !skip_class[p[2]] &&
		       !skip_class[p[3]])
			p += 4;
		while (p < end && !skip_class[*p])
			p++;
		if (p == end)
			break;
		unsigned char c = skip_class[*p++];
		if (c == 1) {
			for (;;) {
#ifdef __SSE2__
				/* 16 bytes at a time while no quote or backslash is in sight */
				while (end - p >= 16) {
					__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
					int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
									       _mm_cmpeq_epi8(v, backslash)));
					if (m) {
						p += __builtin_ctz((unsigned)m);
						break;
					}
					p += 16;
				}
#endif
				while (end - p >= 4 && !string_stop[p[0]] && !string_stop[p[1]] &&
				       !string_stop[p[2]] && !string_stop[p[3]])
					p += 4;
				while (p < end && !string_stop[*p])
					p++;
				if (p >= end)
					goto eof;
				if (*p++ == '"')
					break;
				p++;   /* the escaped byte */
			}
		} else if (c == 2) {
			depth++;
		} else if (--depth == 0) {
			s->p = (const char *)p;
			return;
		}
	}
eof:
	s->p = s->end;
	fail(s, JS_EOF);
}

void js_skip(struct js *s)
{
	if (s->err)
		return;
	int c = peek(s);
	switch (c) {
	case -1:
		return;
	case '"':
		s->p++;
		skip_string_body(s);
		return;
	case '{':
	case '[':
		skip_container(s);
		return;
	case 't':
		skip_literal(s, "true", 4);
		return;
	case 'f':
		skip_literal(s, "false", 5);
		return;
	case 'n':
		skip_literal(s, "null", 4);
		return;
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			skip_number(s);
		else
			fail(s, JS_BAD);
	}
}

bool js_is_null(struct js *s)
{
	if (s->err || peek(s) != 'n')
		return false;
	skip_literal(s, "null", 4);
	return s->err == JS_OK;
}

/* Shared by object and array iteration: OPEN/CLOSE are the brackets. Leaves P on the next
 * member (after the key and colon for objects). */
static bool container_next(struct js *s, int *n, char open, char close)
{
	if (s->err)
		return false;
	int c = peek(s);
	if (c < 0)
		return false;
	if (*n == 0) {
		if (c != open) {
			js_skip(s);   /* null or another type: iterate as empty */
			return false;
		}
		s->p++;
		c = peek(s);
		if (c == close) {
			s->p++;
			return false;
		}
	} else {
		if (c == close) {
			s->p++;
			return false;
		}
		if (c != ',') {
			fail(s, JS_BAD);
			return false;
		}
		s->p++;
		c = peek(s);
	}
	if (c < 0)
		return false;
	(*n)++;
	return true;
}

bool js_object_next(struct js *s, int *n, const char **key, size_t *klen)
{
	if (!container_next(s, n, '{', '}'))
		return false;
	if (*s->p != '"') {
		fail(s, JS_BAD);
		return false;
	}
	const char *k = ++s->p;
	skip_string_body(s);
	if (s->err)
		return false;
	*key = k;
	*klen = (size_t)(s->p - 1 - k);
	int c = peek(s);
	if (c != ':') {
		if (c >= 0)
			fail(s, JS_BAD);
		return false;
	}
	s->p++;
	return true;
}

bool js_array_next(struct js *s, int *n)
{
	return container_next(s, n, '[', ']');
}

bool js_string_raw(struct js *s, const char **raw, size_t *len, bool *escaped)
{
	if (s->err)
		return false;
	int c = peek(s);
	if (c != '"') {
		js_skip(s);
		return false;
	}
	const char *b = ++s->p;
	skip_string_body(s);
	if (s->err)
		return false;
	*raw = b;
	*len = (size_t)(s->p - 1 - b);
	if (escaped)
		*escaped = memchr(b, '\\', *len) != NULL;
	return true;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

size_t js_unescape(const char *raw, size_t len, char *out)
{
	const char *p = raw, *end = raw + len;
	char *o = out;
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		if (!bs) {
			memcpy(o, p, (size_t)(end - p));
			o += end - p;
			break;
		}
		memcpy(o, p, (size_t)(bs - p));
		o += bs - p;
		p = bs + 1;
		if (p == end) {
			*o++ = '\\';
			break;
		}
		char c = *p++;
		switch (c) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			int cp = end - p >= 4 ? hex4(p) : -1;
			if (cp < 0) {
				*o++ = '\\';
				*o++ = 'u';
				break;
			}
			p += 4;
			uint32_t code = (uint32_t)cp;
			if (code >= 0xD800 && code < 0xDC00 && end - p >= 6 && p[0] == '\\' &&
			    p[1] == 'u') {
				int lo = hex4(p + 2);
				if (lo >= 0xDC00 && lo < 0xE000) {
					code = 0x10000 + ((code - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
					p += 6;
				}
			}
			if (code >= 0xD800 && code < 0xE000)
				code = 0xFFFD;   /* a lone surrogate */
			o += sd_utf8_encode(code, o);
			break;
		}
		default:   /* \" \\ \/ and anything unknown: the character itself */
			*o++ = c;
		}
	}
	return (size_t)(o - out);
}

char *js_string_dup(struct js *s, struct sd_arena *arena)
{
	const char *raw;
	size_t len;
	bool escaped;
	if (!js_string_raw(s, &raw, &len, &escaped))
		return s->err ? NULL : sd_arena_strdup(arena, "");
	if (!escaped)
		return sd_arena_strndup(arena, raw, len);
	char *out = sd_arena_alloc(arena, len + 1);
	out[js_unescape(raw, len, out)] = '\0';
	return out;
}

long long js_int(struct js *s)
{
	if (s->err)
		return 0;
	int c = peek(s);
	if (c != '-' && !(c >= '0' && c <= '9')) {
		js_skip(s);
		return 0;
	}
	const char *p = s->p, *end = s->end;
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	unsigned long long v = 0;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v < 922337203685477580ULL)
			v = v * 10 + (unsigned long long)(*p - '0');
		p++;
	}
	s->p = p;
	skip_number(s);   /* fraction and exponent, if any; EOF at the buffer's end */
	if (s->err)
		return 0;
	return neg ? -(long long)v : (long long)v;
}

bool js_bool(struct js *s)
{
	if (s->err)
		return false;
	int c = peek(s);
	if (c == 't') {
		skip_literal(s, "true", 4);
		return s->err == JS_OK;
	}
	js_skip(s);
	return false;
}

const char *js_error_text(const struct js *s, char *buf, size_t size)
{
	size_t at = s->err_at ? (size_t)(s->err_at - s->start) : 0;
	if (s->err == JS_EOF) {
		snprintf(buf, size, "truncated JSON at byte %zu", at);
	} else if (s->err == JS_BAD) {
		char near[24];
		size_t n = 0;
		for (const char *p = s->err_at; p && p < s->end && n < sizeof(near) - 1; p++)
			near[n++] = (*p >= ' ' && *p < 0x7f) ? *p : '?';
		near[n] = '\0';
		snprintf(buf, size, "bad JSON at byte %zu near '%s'", at, near);
	} else {
		snprintf(buf, size, "no error");
	}
	return buf;
}
