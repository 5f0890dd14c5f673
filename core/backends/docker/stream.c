/* stream.c - the list decoder fed as curl delivers a response: whole elements are decoded
 * from the bytes at hand, an unfinished element is kept for the next chunk. sd_docker_decode
 * and sd_docker_decode_chunks drive it without a network. */
#include "backends/docker/internal.h"
#include "base/jsonscan.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decode whole elements from BUF; returns the bytes consumed, or (size_t)-1 with the error. */
static size_t decode_some(struct list_stream *ls, const char *buf, size_t len, bool final)
{
	struct decoder *dec = ls->dec;
	struct js s;
	js_init(&s, buf, len);
	for (;;) {
		const char *mark = s.p;
		if (ls->state == 2)
			return len;
		int c = js_peek(&s);
		if (c < 0)
			break;
		if (ls->state == 0) {
			if (c != '[') {
				snprintf(ls->sink.err, sizeof(ls->sink.err),
					 "%s: expected a JSON array at byte %zu", docker_list_names[ls->kind],
					 ls->position + (size_t)(s.p - buf));
				return (size_t)-1;
			}
			s.p++;
			ls->state = 1;
			continue;
		}
		if (c == ']') {
			s.p++;
			ls->state = 2;
			continue;
		}
		if (ls->count > 0) {
			if (c != ',') {
				s.err = JS_BAD;
				s.err_at = s.p;
				break;
			}
			s.p++;
		}
		docker_decode_element(dec, ls->kind, &s);
		if (s.err == JS_EOF && !final)
			return (size_t)(mark - buf);   /* incomplete: wait for more bytes */
		if (s.err)
			break;
		ls->count++;
	}
	if (s.err == JS_EOF && !final) {
		return (size_t)(s.p - buf);
	}
	char why[160];
	js_error_text(&s, why, sizeof(why));
	if (s.err == JS_EOF) {
		snprintf(ls->sink.err, sizeof(ls->sink.err), "%s: truncated JSON at byte %zu",
			 docker_list_names[ls->kind], ls->position + len);
	} else {
		/* js_error_text counts from BUF; restate the offset in the stream */
		const char *near = strstr(why, " near ");
		snprintf(ls->sink.err, sizeof(ls->sink.err), "%s: bad JSON at byte %zu%s",
			 docker_list_names[ls->kind],
			 ls->position + (size_t)((s.err_at ? s.err_at : s.p) - buf), near ? near : "");
	}
	return (size_t)-1;
}

static void pending_set(struct list_stream *ls, const char *data, size_t len)
{
	ls->plen = 0;
	if (len == 0)
		return;
	ls->pending = docker_grow(ls->pending, &ls->pcap, len, 1);
	memmove(ls->pending, data, len);
	ls->plen = len;
}

static int list_feed(struct sink *sink, const char *data, size_t len)
{
	struct list_stream *ls = (struct list_stream *)sink;
	/* finish the element cut by the previous chunk: append just enough of this one */
	size_t taken = 0, step = 8192;
	while (ls->plen > 0) {
		size_t add = len - taken < step ? len - taken : step;
		size_t tail = ls->plen;
		ls->pending = docker_grow(ls->pending, &ls->pcap, ls->plen + add, 1);
		memcpy(ls->pending + ls->plen, data + taken, add);
		ls->plen += add;
		taken += add;
		size_t used = decode_some(ls, ls->pending, ls->plen, false);
		if (used == (size_t)-1)
			return -1;
		ls->position += used;
		if (used >= tail) {
			/* the rest continues inside DATA: decode it in place */
			size_t resume = taken - (ls->plen - used);
			ls->plen = 0;
			taken = resume;
			break;
		}
		memmove(ls->pending, ls->pending + used, ls->plen - used);
		ls->plen -= used;
		if (taken == len)
			return 0;
		step *= 2;
	}
	size_t used = decode_some(ls, data + taken, len - taken, false);
	if (used == (size_t)-1)
		return -1;
	ls->position += used;
	pending_set(ls, data + taken + used, len - taken - used);
	return 0;
}

/* End of the response: whatever is pending must now decode completely. */
int docker_list_finish(struct list_stream *ls)
{
	size_t used = decode_some(ls, ls->pending ? ls->pending : "", ls->plen, true);
	free(ls->pending);
	ls->pending = NULL;
	ls->plen = ls->pcap = 0;
	if (used == (size_t)-1)
		return -1;
	if (ls->state != 2) {
		snprintf(ls->sink.err, sizeof(ls->sink.err), "%s: truncated JSON at byte %zu",
			 docker_list_names[ls->kind], ls->position + used);
		return -1;
	}
	return 0;
}

void docker_list_init(struct list_stream *ls, struct decoder *dec, enum list_kind kind)
{
	memset(ls, 0, sizeof(*ls));
	ls->sink.feed = list_feed;
	ls->dec = dec;
	ls->kind = kind;
}

static int decode_whole_list(struct decoder *dec, enum list_kind kind, const char *text,
			     size_t len, char *err, size_t errlen)
{
	if (text && len) {
		struct list_stream ls;
		docker_list_init(&ls, dec, kind);
		size_t used = decode_some(&ls, text, len, true);
		if (used != (size_t)-1 && ls.state != 2)
			snprintf(ls.sink.err, sizeof(ls.sink.err), "%s: truncated JSON at byte %zu",
				 docker_list_names[kind], len);
		if (used == (size_t)-1 || ls.state != 2) {
			snprintf(err, errlen, "%s", ls.sink.err);
			return -1;
		}
	}
	docker_list_done(dec, kind);
	return 0;
}

int sd_docker_decode(const char *info, size_t info_len, const char *nodes, size_t nodes_len,
		     const char *services, size_t services_len, const char *tasks,
		     size_t tasks_len, struct sd_swarm **out, char *err, size_t errlen)
{
	*out = NULL;
	struct decoder dec;
	docker_decoder_init(&dec);
	int rc = -1;
	if (docker_decode_info(&dec, info, info_len, err, errlen) == 0 &&
	    decode_whole_list(&dec, LIST_NODES, nodes, nodes_len, err, errlen) == 0 &&
	    decode_whole_list(&dec, LIST_SERVICES, services, services_len, err, errlen) == 0 &&
	    decode_whole_list(&dec, LIST_TASKS, tasks, tasks_len, err, errlen) == 0) {
		*out = docker_decoder_finish(&dec);
		rc = 0;
	}
	docker_decoder_free(&dec);
	return rc;
}

/* One list fed to the streaming decoder in pieces of the sizes in PIECES, cycled: the way
 * curl delivers a response, without a network. */
static int decode_list_pieces(struct decoder *dec, enum list_kind kind, const char *text,
			      size_t len, const size_t *pieces, size_t npieces, char *err,
			      size_t errlen)
{
	if (!text || !len) {
		docker_list_done(dec, kind);
		return 0;
	}
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
	free(ls.pending);
	if (rc < 0) {
		snprintf(err, errlen, "%s", ls.sink.err);
		return -1;
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
	    decode_list_pieces(&dec, LIST_NODES, nodes, nodes_len, pieces, npieces, err,
			       errlen) == 0 &&
	    decode_list_pieces(&dec, LIST_SERVICES, services, services_len, pieces, npieces, err,
			       errlen) == 0 &&
	    decode_list_pieces(&dec, LIST_TASKS, tasks, tasks_len, pieces, npieces, err,
			       errlen) == 0) {
		*out = docker_decoder_finish(&dec);
		rc = 0;
	}
	docker_decoder_free(&dec);
	return rc;
}

