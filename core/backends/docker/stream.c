/* stream.c - the list decoder fed as curl delivers a response.
 *
 * The list's own syntax (the brackets, the commas between elements) is read here, one byte
 * at a time and across chunks; each element goes to decode.c whole, exactly once:
 *   - an element that lies whole in the chunk at hand is decoded in place;
 *   - one cut by the chunk's end is copied into a growing buffer and followed through the
 *     next chunks by a small resumable scanner (bracket depth, inside a string, after a
 *     backslash) until its last byte arrives, then decoded from that buffer.
 * So the cost is linear in the response, whatever the chunk sizes, and the memory beyond the
 * part is the largest element. sd_docker_decode feeds a whole buffer at once;
 * sd_docker_decode_chunks feeds pieces of given sizes; both end in the same results. */
#include "backends/docker/internal.h"
#include "base/jsonscan.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	LS_OPEN,      /* before '[' */
	LS_FIRST,     /* after '[': an element or ']' */
	LS_NEXT,      /* after an element: ',' or ']' */
	LS_ELEMENT,   /* after ',': an element */
	LS_CARRY,     /* inside an element cut by a chunk's end, its bytes in PENDING */
	LS_DONE,      /* after ']': the rest is ignored */
};

/* bytes the carry scanner stops at: 1 quote, 2 opener, 3 closer */
static const unsigned char carry_class[256] = {
	['"'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 3, [']'] = 3,
};
/* bytes that end a run inside a string */
static const unsigned char string_stop[256] = {['"'] = 1, ['\\'] = 1};

#define GOES_ON ((size_t)-1)

static bool scalar_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '+' || c == '.';
}

static bool space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

/* "KIND: bad JSON at byte N near '...'"; AT is in BUF, which starts at stream offset BASE. */
static int bad_json(struct list_stream *ls, const char *buf, size_t len, const char *at,
		    size_t base)
{
	char near[24];
	size_t n = 0;
	for (const char *p = at; p < buf + len && n < sizeof(near) - 1; p++)
		near[n++] = (*p >= ' ' && *p < 0x7f) ? *p : '?';
	near[n] = '\0';
	snprintf(ls->sink.err, sizeof(ls->sink.err), "%s: bad JSON at byte %zu near '%s'",
		 docker_list_names[ls->kind], base + (size_t)(at - buf), near);
	return -1;
}

static int truncated(struct list_stream *ls, size_t at)
{
	snprintf(ls->sink.err, sizeof(ls->sink.err), "%s: truncated JSON at byte %zu",
		 docker_list_names[ls->kind], at);
	return -1;
}

/* Follow the carried element through P[0..N): the offset just past its last byte (a
 * scalar's: the delimiter after it), or GOES_ON. FIRST: P starts the element, and its first
 * byte says what kind of value it is. */
static size_t carry_scan(struct list_stream *ls, const char *p, size_t n, bool first)
{
	const unsigned char *s = (const unsigned char *)p, *end = s + n, *q = s;
	if (first && q < end) {
		ls->depth = 0;
		ls->in_string = ls->escape = ls->scalar = false;
		if (*q == '{' || *q == '[')
			ls->depth = 1;
		else if (*q == '"')
			ls->in_string = true;
		else if (scalar_byte(*q))
			ls->scalar = true;
		else
			return 1;   /* not a value: one byte, which the decoder refuses */
		if (!ls->scalar)
			q++;
	}
	if (ls->scalar) {
		while (q < end && scalar_byte(*q))
			q++;
		return q < end ? (size_t)(q - s) : GOES_ON;
	}
	while (q < end) {
		if (ls->escape) {
			ls->escape = false;
			q++;
			continue;
		}
		if (ls->in_string) {
			while (end - q >= 4 && !string_stop[q[0]] && !string_stop[q[1]] &&
			       !string_stop[q[2]] && !string_stop[q[3]])
				q += 4;
			while (q < end && !string_stop[*q])
				q++;
			if (q == end)
				break;
			if (*q++ == '\\') {
				ls->escape = true;
				continue;
			}
			ls->in_string = false;
			if (ls->depth == 0)
				return (size_t)(q - s);   /* a string element */
			continue;
		}
		while (end - q >= 4 && !carry_class[q[0]] && !carry_class[q[1]] &&
		       !carry_class[q[2]] && !carry_class[q[3]])
			q += 4;
		while (q < end && !carry_class[*q])
			q++;
		if (q == end)
			break;
		switch (carry_class[*q++]) {
		case 1:
			ls->in_string = true;
			break;
		case 2:
			ls->depth++;
			break;
		default:
			if (--ls->depth == 0)
				return (size_t)(q - s);
		}
	}
	return GOES_ON;
}

static void pending_append(struct list_stream *ls, const char *data, size_t len)
{
	ls->pending = docker_grow(ls->pending, &ls->pcap, ls->plen + len + 1, 1);
	memcpy(ls->pending + ls->plen, data, len);
	ls->plen += len;
}

/* The carried element is complete in PENDING[0..LEN) (a scalar's delimiter after it):
 * decode it once. */
static int decode_pending(struct list_stream *ls, size_t len)
{
	struct js s;
	js_init(&s, ls->pending, ls->plen);
	docker_decode_element(ls->dec, ls->kind, &s);
	if (s.err || s.p != ls->pending + len)
		return bad_json(ls, ls->pending, ls->plen, s.err ? s.err_at : s.p, ls->pstart);
	ls->count++;
	ls->plen = 0;
	ls->state = LS_NEXT;
	return 0;
}

/* The carried element ends at DATA[END] (GOES_ON: not yet): take its bytes, and decode it
 * when complete. The bytes of DATA it took, or (size_t)-1. */
static size_t carry_take(struct list_stream *ls, const char *data, size_t len, size_t end)
{
	if (end == GOES_ON) {
		pending_append(ls, data, len);
		return len;
	}
	pending_append(ls, data, end);
	size_t element_len = ls->plen;
	if (ls->scalar)
		pending_append(ls, data + end, 1);   /* its delimiter, left in the stream */
	if (decode_pending(ls, element_len) < 0)
		return (size_t)-1;
	return end;
}

/* An element starts at DATA[I]: decode it in place, or begin carrying it. The offset after
 * it, or (size_t)-1. */
static size_t element(struct list_stream *ls, const char *data, size_t len, size_t i)
{
	struct js s;
	js_init(&s, data + i, len - i);
	docker_decode_element(ls->dec, ls->kind, &s);
	if (s.err == JS_OK) {
		ls->count++;
		ls->state = LS_NEXT;
		return (size_t)(s.p - data);
	}
	if (s.err == JS_BAD) {
		bad_json(ls, data, len, s.err_at, ls->position);
		return (size_t)-1;
	}
	/* cut by the chunk's end: keep its bytes and follow them into the next chunks */
	ls->plen = 0;
	ls->pstart = ls->position + i;
	ls->state = LS_CARRY;
	size_t took = carry_take(ls, data + i, len - i, carry_scan(ls, data + i, len - i, true));
	return took == (size_t)-1 ? took : i + took;
}

static int list_feed(struct sink *sink, const char *data, size_t len)
{
	struct list_stream *ls = (struct list_stream *)sink;
	size_t i = 0;
	if (ls->state == LS_CARRY) {
		i = carry_take(ls, data, len, carry_scan(ls, data, len, false));
		if (i == (size_t)-1)
			return -1;
	}
	while (i < len && ls->state != LS_CARRY && ls->state != LS_DONE) {
		if (space(data[i])) {
			i++;
			continue;
		}
		char c = data[i];
		switch (ls->state) {
		case LS_OPEN:
			if (c != '[') {
				snprintf(ls->sink.err, sizeof(ls->sink.err),
					 "%s: expected a JSON array at byte %zu",
					 docker_list_names[ls->kind], ls->position + i);
				return -1;
			}
			i++;
			ls->state = LS_FIRST;
			continue;
		case LS_NEXT:
			if (c == ',') {
				i++;
				ls->state = LS_ELEMENT;
				continue;
			}
			if (c != ']')
				return bad_json(ls, data, len, data + i, ls->position);
			/* fall through */
		case LS_FIRST:
			if (c == ']') {
				i++;
				ls->state = LS_DONE;
				continue;
			}
			/* fall through */
		default:
			i = element(ls, data, len, i);
			if (i == (size_t)-1)
				return -1;
		}
	}
	ls->position += len;
	return 0;
}

int docker_list_finish(struct list_stream *ls)
{
	if (ls->state != LS_DONE)   /* a carried element included: it never ended */
		return truncated(ls, ls->position);
	return 0;
}

void docker_list_free(struct list_stream *ls)
{
	free(ls->pending);
	ls->pending = NULL;
	ls->plen = ls->pcap = 0;
}

void docker_list_init(struct list_stream *ls, struct decoder *dec, enum list_kind kind)
{
	memset(ls, 0, sizeof(*ls));
	ls->sink.feed = list_feed;
	ls->dec = dec;
	ls->kind = kind;
	ls->state = LS_OPEN;
}

/* One list fed in pieces of the sizes in PIECES, cycled (none: one piece). */
static int decode_list(struct decoder *dec, enum list_kind kind, const char *text, size_t len,
		       const size_t *pieces, size_t npieces, char *err, size_t errlen)
{
	if (text && len) {
		struct list_stream ls;
		docker_list_init(&ls, dec, kind);
		int rc = 0;
		for (size_t off = 0, i = 0; off < len && rc == 0; i++) {
			size_t piece = npieces ? pieces[i % npieces] : len;
			if (piece == 0)
				piece = 1;
			if (piece > len - off)
				piece = len - off;
			rc = list_feed(&ls.sink, text + off, piece);
			off += piece;
		}
		if (rc == 0)
			rc = docker_list_finish(&ls);
		docker_list_free(&ls);
		if (rc < 0) {
			snprintf(err, errlen, "%s", ls.sink.err);
			return -1;
		}
	}
	docker_list_done(dec, kind);
	return 0;
}

int sd_docker_decode_chunks(const char *info, size_t info_len, const char *nodes,
			    size_t nodes_len, const char *services, size_t services_len,
			    const char *tasks, size_t tasks_len, const size_t *pieces,
			    size_t npieces, struct sd_swarm **out, char *err, size_t errlen)
{
	*out = NULL;
	struct decoder dec;
	docker_decoder_init(&dec);
	int rc = -1;
	if (docker_decode_info(&dec, info, info_len, err, errlen) == 0 &&
	    decode_list(&dec, LIST_NODES, nodes, nodes_len, pieces, npieces, err, errlen) == 0 &&
	    decode_list(&dec, LIST_SERVICES, services, services_len, pieces, npieces, err,
			errlen) == 0 &&
	    decode_list(&dec, LIST_TASKS, tasks, tasks_len, pieces, npieces, err, errlen) == 0) {
		*out = docker_decoder_finish(&dec);
		rc = 0;
	}
	docker_decoder_free(&dec);
	return rc;
}

int sd_docker_decode_bodies(const struct sd_docker_bodies *b, const size_t *pieces,
			    size_t npieces, struct sd_swarm **out, char *err, size_t errlen)
{
	*out = NULL;
	struct decoder dec;
	docker_decoder_init(&dec);
	const char *const lists[] = {b->nodes, b->services, b->tasks, b->networks, b->secrets,
				     b->configs};
	const size_t lens[] = {b->nodes_len, b->services_len, b->tasks_len, b->networks_len,
			       b->secrets_len, b->configs_len};
	int rc = docker_decode_info(&dec, b->info, b->info_len, err, errlen);
	for (int kind = LIST_NODES; kind <= LIST_CONFIGS && rc == 0; kind++)
		rc = decode_list(&dec, (enum list_kind)kind, lists[kind], lens[kind], pieces,
				 npieces, err, errlen);
	dec.objects.read = b->networks || b->secrets || b->configs;
	if (rc == 0)
		*out = docker_decoder_finish(&dec);
	docker_decoder_free(&dec);
	return rc;
}

int sd_docker_decode(const char *info, size_t info_len, const char *nodes, size_t nodes_len,
		     const char *services, size_t services_len, const char *tasks,
		     size_t tasks_len, struct sd_swarm **out, char *err, size_t errlen)
{
	return sd_docker_decode_chunks(info, info_len, nodes, nodes_len, services, services_len,
				       tasks, tasks_len, NULL, 0, out, err, errlen);
}
