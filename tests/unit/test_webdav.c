/* test_webdav.c - the WebDAV client's reader of PROPFIND answers (rclone's, Apache's, with
 * other prefixes, absolute hrefs and percent-encoding), and backup.remote in the config:
 * defaults, the password from a file only, errors naming file:line:column. */
#include "backends/webdav/webdav.h"
#include "conf/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

static const char RCLONE[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><D:multistatus xmlns:D=\"DAV:\">"
	"<D:response><D:href>/backups/</D:href><D:propstat><D:prop><D:resourcetype><D:collection/>"
	"</D:resourcetype><D:getlastmodified>Tue, 01 Dec 2026 23:00:00 GMT</D:getlastmodified>"
	"</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
	"<D:response><D:href>/backups/postgres_20261201_230804.dump</D:href><D:propstat><D:prop>"
	"<D:resourcetype></D:resourcetype><D:getcontentlength>413297</D:getcontentlength>"
	"<D:getlastmodified>Tue, 01 Dec 2026 23:08:05 GMT</D:getlastmodified></D:prop>"
	"<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>"
	"<D:response><D:href>/backups/postgres_20261201_230804.dump.manifest.json</D:href>"
	"<D:propstat><D:prop><D:resourcetype/><D:getcontentlength>358</D:getcontentlength>"
	"</D:prop></D:propstat></D:response>"
	"<D:response><D:href>/backups/old/</D:href><D:propstat><D:prop><D:resourcetype>"
	"<D:collection/></D:resourcetype></D:prop></D:propstat></D:response></D:multistatus>";

static const char APACHE[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<lp:multistatus xmlns:lp=\"DAV:\">\n"
	"<lp:response>\n<lp:href>https://dav.example.net/swarm%20deck/</lp:href>\n"
	"<lp:propstat><lp:prop><lp:resourcetype><lp:collection/></lp:resourcetype></lp:prop>"
	"</lp:propstat></lp:response>\n"
	"<lp:response>\n<lp:href>https://dav.example.net/swarm%20deck/redis_20261201_010203.rdb</lp:href>\n"
	"<lp:propstat><lp:prop><lp:getcontentlength> 1200 </lp:getcontentlength>"
	"<lp:resourcetype/></lp:prop></lp:propstat></lp:response>\n</lp:multistatus>\n";

static void test_rclone_answer(void **state)
{
	(void)state;
	struct sd_webdav_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(sd_webdav_parse_multistatus(RCLONE, sizeof(RCLONE) - 1, "/backups/", &e, &n), 0);
	assert_int_equal(n, 2); /* the folder itself and the sub-folder are left out */
	assert_string_equal(e[0].name, "postgres_20261201_230804.dump");
	assert_int_equal(e[0].size, 413297);
	assert_int_equal(e[0].modified, 1796166485); /* 2026-12-01T23:08:05Z */
	assert_string_equal(e[1].name, "postgres_20261201_230804.dump.manifest.json");
	assert_int_equal(e[1].size, 358);
	assert_int_equal(e[1].modified, 0);
	free(e);
}

static void test_apache_answer(void **state)
{
	(void)state;
	struct sd_webdav_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(sd_webdav_parse_multistatus(APACHE, sizeof(APACHE) - 1, "/swarm deck/", &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].name, "redis_20261201_010203.rdb");
	assert_int_equal(e[0].size, 1200);
	free(e);
}

static void test_not_multistatus(void **state)
{
	(void)state;
	static const char html[] = "<html><body>502 Bad Gateway</body></html>";
	struct sd_webdav_entry *e = NULL;
	size_t n = 7;
	assert_int_equal(sd_webdav_parse_multistatus(html, sizeof(html) - 1, "/", &e, &n), -1);
	assert_int_equal(n, 0);
	assert_null(e);
	/* cut short: whatever responses are whole are read, nothing beyond the end */
	assert_int_equal(sd_webdav_parse_multistatus(RCLONE, 400, "/backups/", &e, &n), 0);
	free(e);
}

static const char *write_config(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/sd-test-webdav-%d.yaml", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_config_remote(void **state)
{
	(void)state;
	struct sd_config c;
	struct sd_error err = {{0}};
	const char *path = write_config("backup:\n  dir: /tmp/b\n  remote:\n"
					"    url: https://dav.example.net/b/\n    user: sd\n"
					"    password_file: /run/secrets/dav\n");
	assert_int_equal(sd_config_load(path, &c, &err), 0);
	assert_true(c.backup.remote.configured);
	assert_string_equal(c.backup.remote.url, "https://dav.example.net/b/");
	assert_string_equal(c.backup.remote.password_file, "/run/secrets/dav");
	assert_int_equal(c.backup.remote.retention_days, 180);
	assert_int_equal(c.backup.remote.timeout_ms, 10000);
	sd_config_free(&c);

	path = write_config("backup:\n  dir: /tmp/b\n  remote:\n    url: ftp://x/\n");
	assert_int_equal(sd_config_load(path, &c, &err), -1);
	assert_non_null(strstr(err.text, ":4:10: backup.remote.url: expected http:// or https://"));

	path = write_config("backup:\n  dir: /tmp/b\n  remote:\n    url: https://sd:secret@x/\n");
	assert_int_equal(sd_config_load(path, &c, &err), -1);
	assert_non_null(strstr(err.text, "no user or password in the URL"));
	assert_null(strstr(err.text, "secret"));

	path = write_config("backup:\n  dir: /tmp/b\n  remote:\n    url: https://x/\n    password: p\n");
	assert_int_equal(sd_config_load(path, &c, &err), -1);
	assert_non_null(strstr(err.text, ":5:5:"));

	path = write_config("backup:\n  dir: /tmp/b\n  remote:\n    url: https://x/\n    user: sd\n");
	assert_int_equal(sd_config_load(path, &c, &err), -1);
	assert_non_null(strstr(err.text, "a user needs a password_file"));
	unlink(path);
}

static void test_open_needs_password_file(void **state)
{
	(void)state;
	char err[256] = "";
	struct sd_webdav_config wc = {.url = "http://127.0.0.1:9/", .user = "sd",
				      .password_file = "/nonexistent/dav.pass", .timeout_ms = 500};
	assert_null(sd_webdav_open(&wc, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/dav.pass"));
	wc.user = NULL;
	struct sd_webdav *dav = sd_webdav_open(&wc, err, sizeof(err));
	assert_non_null(dav);
	assert_string_equal(sd_webdav_url(dav), "http://127.0.0.1:9/");
	/* nothing listens on the discard port here: the error says so, the call returns */
	struct sd_webdav_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(sd_webdav_list(dav, &e, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "PROPFIND"));
	sd_webdav_close(dav);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rclone_answer),
		cmocka_unit_test(test_apache_answer),
		cmocka_unit_test(test_not_multistatus),
		cmocka_unit_test(test_config_remote),
		cmocka_unit_test(test_open_needs_password_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
