/* tables.c - databases, tables and one table's description (see tables.h). Only catalog and
 * statistics views are read: the cost on the server is one catalog scan per call. */
#include "backends/pg/tables.h"
#include "backends/pg/conn.h"
#include "base/error.h"
#include "base/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPLICATION "swarmdeck tables"
#define MAX_TABLES 2000

static long long num(const PGresult *res, int row, int col, long long unknown)
{
	return PQgetisnull(res, row, col) ? unknown : atoll(PQgetvalue(res, row, col));
}

int sd_pg_databases(struct sd_pg_backend *backend, const char *member, long timeout_ms,
		    struct sd_pg_dbname **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	PGconn *conn = pg_conn_open(backend, member, NULL, APPLICATION, timeout_ms, false, err, errlen);
	if (!conn)
		return -1;
	PGresult *res = PQexec(conn,
		"select datname, case when has_database_privilege(oid, 'connect') "
		"  or pg_has_role('pg_read_all_stats', 'member') then pg_database_size(oid) end "
		"from pg_database where datallowconn and not datistemplate order by datname");
	int rc = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_conn_error(conn, res, err, errlen);
		rc = -1;
	} else {
		int rows = PQntuples(res);
		*out = xcalloc((size_t)rows + 1, sizeof(**out));
		for (int i = 0; i < rows; i++) {
			(*out)[i].name = xstrdup(PQgetvalue(res, i, 0));
			(*out)[i].bytes = num(res, i, 1, -1);
		}
		*n = (size_t)rows;
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}

void sd_pg_databases_free(struct sd_pg_dbname *dbs, size_t n)
{
	for (size_t i = 0; dbs && i < n; i++)
		free(dbs[i].name);
	free(dbs);
}

int sd_pg_tables_fetch(struct sd_pg_backend *backend, const char *member, const char *database,
		       long timeout_ms, struct sd_pg_tables **out, char *err, size_t errlen)
{
	*out = NULL;
	PGconn *conn = pg_conn_open(backend, member, database, APPLICATION, timeout_ms, false, err,
				    errlen);
	if (!conn)
		return -1;
	/* each size once: pg_table_size counts the heap with its TOAST (and their maps) */
	PGresult *res = PQexec(conn,
		"select s.nspname, s.relname, s.tbl + s.idx, s.tbl - s.toast, s.idx, s.toast, "
		"  st.n_live_tup, st.n_dead_tup, "
		"  extract(epoch from st.last_vacuum)::bigint, extract(epoch from st.last_autovacuum)::bigint, "
		"  extract(epoch from st.last_analyze)::bigint, extract(epoch from st.last_autoanalyze)::bigint "
		"from (select c.oid, n.nspname, c.relname, pg_table_size(c.oid) as tbl, "
		"        pg_indexes_size(c.oid) as idx, "
		"        coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) as toast "
		"      from pg_class c join pg_namespace n on n.oid = c.relnamespace "
		"      where c.relkind in ('r', 'p', 'm') "
		"        and n.nspname not in ('pg_catalog', 'information_schema') "
		"        and n.nspname !~ '^pg_toast') s "
		"left join pg_stat_all_tables st on st.relid = s.oid "
		"order by 3 desc, 1, 2 limit 2000");
	int rc = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_conn_error(conn, res, err, errlen);
		rc = -1;
	} else {
		int rows = PQntuples(res);
		struct sd_pg_tables *t = xcalloc(1, sizeof(*t));
		t->items = xcalloc((size_t)rows + 1, sizeof(*t->items));
		for (int i = 0; i < rows && i < MAX_TABLES; i++) {
			struct sd_pg_table *x = &t->items[t->n++];
			x->schema = xstrdup(PQgetvalue(res, i, 0));
			x->name = xstrdup(PQgetvalue(res, i, 1));
			x->total_bytes = num(res, i, 2, 0);
			x->table_bytes = num(res, i, 3, 0);
			x->index_bytes = num(res, i, 4, 0);
			x->toast_bytes = num(res, i, 5, 0);
			x->live_rows = num(res, i, 6, -1);
			x->dead_rows = num(res, i, 7, -1);
			x->last_vacuum = (time_t)num(res, i, 8, 0);
			x->last_autovacuum = (time_t)num(res, i, 9, 0);
			x->last_analyze = (time_t)num(res, i, 10, 0);
			x->last_autoanalyze = (time_t)num(res, i, 11, 0);
		}
		*out = t;
	}
	PQclear(res);
	PQfinish(conn);
	return rc;
}

void sd_pg_tables_free(struct sd_pg_tables *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->items[i].schema);
		free(t->items[i].name);
	}
	free(t->items);
	free(t);
}

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < *cap - *len) {
			*len += (size_t)n;
			return;
		}
		*cap = (*cap + (size_t)n) * 2;
		*buf = xrealloc(*buf, *cap);
	}
}

char *sd_pg_table_describe(struct sd_pg_backend *backend, const char *member,
			   const char *database, const char *schema, const char *table,
			   long timeout_ms, char *err, size_t errlen)
{
	PGconn *conn = pg_conn_open(backend, member, database, APPLICATION, timeout_ms, false, err,
				    errlen);
	if (!conn)
		return NULL;
	const char *params[] = {schema, table};
	PGresult *cols = PQexecParams(conn,
		"select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
		"  coalesce(pg_get_expr(d.adbin, d.adrelid), '') "
		"from pg_attribute a left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum "
		"where a.attrelid = format('%I.%I', $1::text, $2::text)::regclass "
		"  and a.attnum > 0 and not a.attisdropped order by a.attnum",
		2, NULL, params, NULL, NULL, 0);
	PGresult *idx = NULL;
	char *text = NULL;
	if (PQresultStatus(cols) != PGRES_TUPLES_OK) {
		pg_conn_error(conn, cols, err, errlen);
		goto done;
	}
	idx = PQexecParams(conn,
		"select i.relname, pg_get_indexdef(i.oid), pg_relation_size(i.oid), "
		"  coalesce(s.idx_scan, 0), x.indisprimary, x.indisunique, x.indisvalid "
		"from pg_index x join pg_class i on i.oid = x.indexrelid "
		"left join pg_stat_all_indexes s on s.indexrelid = i.oid "
		"where x.indrelid = format('%I.%I', $1::text, $2::text)::regclass order by i.relname",
		2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(idx) != PGRES_TUPLES_OK) {
		pg_conn_error(conn, idx, err, errlen);
		goto done;
	}
	size_t len = 0, cap = 1024;
	text = xmalloc(cap);
	text[0] = '\0';
	append(&text, &len, &cap, "Table %s.%s in %s on %s\n\nColumns (%d)\n", schema, table,
	       database ? database : "-", member, PQntuples(cols));
	for (int i = 0; i < PQntuples(cols); i++) {
		const char *def = PQgetvalue(cols, i, 3);
		append(&text, &len, &cap, "  %-24s %-28s%s%s%s\n", PQgetvalue(cols, i, 0),
		       PQgetvalue(cols, i, 1), *PQgetvalue(cols, i, 2) == 't' ? " not null" : "",
		       *def ? " default " : "", def);
	}
	append(&text, &len, &cap, "\nIndexes (%d)\n", PQntuples(idx));
	for (int i = 0; i < PQntuples(idx); i++) {
		long long bytes = atoll(PQgetvalue(idx, i, 2));
		append(&text, &len, &cap, "  %s%s%s  %lld kB  %s scans\n    %s\n", PQgetvalue(idx, i, 0),
		       *PQgetvalue(idx, i, 4) == 't' ? " (primary key)"
		       : *PQgetvalue(idx, i, 5) == 't' ? " (unique)" : "",
		       *PQgetvalue(idx, i, 6) == 't' ? "" : " INVALID", bytes / 1024,
		       PQgetvalue(idx, i, 3), PQgetvalue(idx, i, 1));
	}
	if (len && text[len - 1] == '\n')
		text[--len] = '\0';
done:
	PQclear(cols);
	PQclear(idx);
	PQfinish(conn);
	return text;
}
