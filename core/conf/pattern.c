/* pattern.c - the size of an extended regular expression once glibc's regcomp has expanded
 * its repetitions, estimated by a small recursive reading of the pattern: a sequence or an
 * alternation adds its parts, X{m,n} costs n copies of X ({m,} m + 1, X+ two), anything else
 * is one item. Measured with glibc 2.36: ((a{0,20}){0,20}){0,20} (8,000 items) takes 61 MB
 * and 0.09 s, (((a{1,100}){1,100}){1,100}) 1.1 GB and 2.2 s, a single a{1,10000} 771 MB,
 * so both the count and the expanded size are bounded. Sizes saturate: no overflow. */
#include "conf/pattern.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SATURATED ((size_t)SD_PATTERN_MAX_SIZE + 1)

struct scan {
	const char *start, *p;
	bool failed;
	size_t at;
	char *why;
	size_t whylen;
};

static size_t add(size_t a, size_t b) { return a + b > SATURATED ? SATURATED : a + b; }

static size_t multiply(size_t a, size_t b)
{
	if (a && b > SATURATED / a)
		return SATURATED;
	return a * b > SATURATED ? SATURATED : a * b;
}

static void fail(struct scan *sc, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct scan *sc, const char *at, const char *fmt, ...)
{
	if (sc->failed)
		return;
	sc->failed = true;
	sc->at = (size_t)(at - sc->start);
	if (sc->why && sc->whylen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(sc->why, sc->whylen, fmt, ap);
		va_end(ap);
	}
}

static void check_size(struct scan *sc, size_t size, const char *at)
{
	if (size > SD_PATTERN_MAX_SIZE)
		fail(sc, at, "pattern too large once its repetitions are expanded (more than %ld "
			 "items: nest or repeat fewer counts)", (long)SD_PATTERN_MAX_SIZE);
}

/* A count at *P: its value (saturated far above the bound) and the end, or false. */
static bool read_count(const char **p, long *value)
{
	const char *s = *p;
	long v = 0;
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++)
		if (v < 1000000)
			v = v * 10 + (*s - '0');
	*p = s;
	*value = v;
	return true;
}

/* {m}, {m,} or {m,n} at P: true with the copies it makes and the end; false when the brace
 * opens no interval (regcomp then takes it as it sees fit: one item here). */
static bool read_interval(struct scan *sc, const char **pp, size_t *copies)
{
	const char *p = *pp + 1, *first = p, *second = NULL;
	long low, high = -1;
	if (!read_count(&p, &low))
		return false;
	bool open = false;
	if (*p == ',') {
		p++;
		second = p;
		if (!read_count(&p, &high))
			open = true;
	}
	if (*p != '}')
		return false;
	if (low > SD_PATTERN_MAX_COUNT)
		fail(sc, first, "repetition count %ld is above %ld", low, (long)SD_PATTERN_MAX_COUNT);
	else if (high > SD_PATTERN_MAX_COUNT)
		fail(sc, second, "repetition count %ld is above %ld", high, (long)SD_PATTERN_MAX_COUNT);
	long n = open ? low + 1 : second ? (high > low ? high : low) : low;
	*copies = n > 0 ? (size_t)n : 1;
	*pp = p + 1;
	return true;
}

static size_t scan_alternation(struct scan *sc, int depth);

/* [...] with its classes [:alpha:], equivalences [=a=] and collating elements [.a.]. */
static void skip_bracket(struct scan *sc)
{
	const char *p = sc->p + 1;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			char kind = p[1];
			const char *close = p + 2;
			while (*close && !(close[0] == kind && close[1] == ']'))
				close++;
			p = *close ? close + 2 : close;
			continue;
		}
		p++;
	}
	sc->p = *p ? p + 1 : p;
}

static size_t scan_atom(struct scan *sc, int depth)
{
	const char *p = sc->p;
	switch (*p) {
	case '(': {
		sc->p = p + 1;
		size_t inner = scan_alternation(sc, depth + 1);
		if (*sc->p == ')')
			sc->p++;
		return inner ? inner : 1;
	}
	case '[':
		skip_bracket(sc);
		return 1;
	case '\\':
		sc->p = p[1] ? p + 2 : p + 1;
		return 1;
	default:
		/* one character, its UTF-8 continuation bytes included */
		p++;
		while (((unsigned char)*p & 0xC0) == 0x80)
			p++;
		sc->p = p;
		return 1;
	}
}

static size_t scan_piece(struct scan *sc, int depth)
{
	size_t size = scan_atom(sc, depth);
	for (;;) {
		const char *op = sc->p;
		size_t copies;
		if (*op == '*' || *op == '?') {
			copies = 1;
			sc->p++;
		} else if (*op == '+') {
			copies = 2;
			sc->p++;
		} else if (*op != '{' || !read_interval(sc, &sc->p, &copies)) {
			return size;
		}
		size = multiply(size, copies);
		check_size(sc, size, op);
		if (sc->failed)
			return size;
	}
}

static size_t scan_branch(struct scan *sc, int depth)
{
	size_t total = 0;
	while (*sc->p && *sc->p != '|' && !(*sc->p == ')' && depth > 0) && !sc->failed) {
		const char *piece = sc->p;
		total = add(total, scan_piece(sc, depth));
		check_size(sc, total, piece);
	}
	return total;
}

static size_t scan_alternation(struct scan *sc, int depth)
{
	size_t total = 0;
	for (;;) {
		const char *branch = sc->p;
		total = add(total, scan_branch(sc, depth));
		check_size(sc, total, branch);
		if (sc->failed || *sc->p != '|')
			return total;
		sc->p++;
	}
}

int sd_pattern_check(const char *pattern, size_t *at, char *why, size_t whylen)
{
	struct scan sc = {.start = pattern, .p = pattern, .why = why, .whylen = whylen};
	size_t len = strlen(pattern);
	if (len > SD_PATTERN_MAX_LENGTH) {
		fail(&sc, pattern + SD_PATTERN_MAX_LENGTH, "pattern longer than %ld bytes",
		     (long)SD_PATTERN_MAX_LENGTH);
	} else {
		scan_alternation(&sc, 0);   /* at the top, a ')' that closes nothing is an item */
	}
	if (at)
		*at = sc.failed ? sc.at : 0;
	return sc.failed ? -1 : 0;
}
