/* test_base.c - the core's ground floor: UTF-8 decoding and sanitizing, the secret reader, and
 * child processes (a signal while waiting does not kill the child; a child starts with SIGPIPE
 * at its default and none of our descriptors). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/child.h"
#include "base/clock.h"
#include "base/secret.h"
#include "base/text.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static void test_utf8_decode(void **state)
{
	(void)state;
	size_t used = 0;
	assert_int_equal(sd_utf8_decode((const unsigned char *)"\xC3\xA9", 2, &used), 0xE9);
	assert_int_equal(used, 2);
	assert_int_equal(sd_utf8_decode((const unsigned char *)"\xE2\x94\x80", 3, &used), 0x2500);
	/* overlong, surrogate, past U+10FFFF, truncated, lone continuation */
	assert_int_equal(sd_utf8_decode((const unsigned char *)"\xC0\xAF", 2, &used), -1);
	assert_int_equal(sd_utf8_decode((const unsigned char *)"\xED\xA0\x80", 3, &used), -1);
	assert_int_equal(sd_utf8_decode((const unsigned char *)"\xF4\x90\x80\x80", 4, &used), -1);
	assert_int_equal(sd_utf8_decode((const unsigned char *)"\xE2\x94", 2, &used), -1);
	assert_int_equal(sd_utf8_decode((const unsigned char *)"\x80", 1, &used), -1);
	assert_int_equal(sd_utf8_length("h\xC3\xA9llo"), 5);
	assert_int_equal(sd_utf8_prev("a\xE2\x94\x80", 4), 1);
	assert_int_equal(sd_utf8_prev("ab", 2), 1);
	assert_int_equal(sd_utf8_prev("", 0), 0);
}

static void test_utf8_sanitize(void **state)
{
	(void)state;
	const char in[] = "ok \xC3\xA9 bad \xFF\xFE end \xE2\x94";
	char out[3 * sizeof(in) + 1];
	assert_false(sd_utf8_valid(in, sizeof(in) - 1));
	size_t n = sd_utf8_sanitize(in, sizeof(in) - 1, out);
	assert_string_equal(out, "ok \xC3\xA9 bad \xEF\xBF\xBD\xEF\xBF\xBD end \xEF\xBF\xBD\xEF\xBF\xBD");
	assert_int_equal(n, strlen(out));
	assert_true(sd_utf8_valid(out, n));
	char same[16];
	sd_utf8_sanitize("plain", 5, same);
	assert_string_equal(same, "plain");
}

static void test_secret_read(void **state)
{
	(void)state;
	char path[] = "/tmp/sdtest-secret.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	close(fd);
	char buf[64], err[256] = "";
	assert_int_equal(sd_secret_read(path, buf, sizeof(buf), err, sizeof(err)), 0);
	assert_string_equal(buf, "s3cret");
	/* too long for the buffer: refused, nothing left behind, the file named, never its text */
	char small[4] = "xyz";
	assert_int_equal(sd_secret_read(path, small, sizeof(small), err, sizeof(err)), -1);
	assert_int_equal(small[0], '\0');
	assert_non_null(strstr(err, path));
	assert_null(strstr(err, "s3c"));
	unlink(path);
	assert_int_equal(sd_secret_read(path, buf, sizeof(buf), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* A signal arriving while the child's stderr is awaited must not kill the child. */
static void test_child_finish_survives_signals(void **state)
{
	(void)state;
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART: poll sees EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval every = {.it_interval = {0, 20000}, .it_value = {0, 20000}};
	setitimer(ITIMER_REAL, &every, NULL);
	const char *const argv[] = {"sh", "-c", "sleep 0.5; echo failing >&2; exit 3", NULL};
	struct sd_child child;
	char why[512] = "";
	assert_int_equal(sd_child_start(&child, argv, 0, why, sizeof(why)), 0);
	int rc = sd_child_finish(&child, "sh", why, sizeof(why));
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	assert_int_equal(rc, -1);
	assert_true(alarms > 3);
	assert_string_equal(why, "sh exited with status 3: failing");
}

/* The child gets SIGPIPE back at its default and none of our descriptors beyond 0-2. */
static void test_child_clean_start(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	int leaked = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
	assert_true(leaked > 2);
	char script[256];
	snprintf(script, sizeof(script),
		 "m=$(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status); "
		 "[ $((0x$m & 0x1000)) -eq 0 ] || { echo SIGPIPE ignored >&2; exit 1; }; "
		 "[ ! -e /proc/$$/fd/%d ] || { echo fd %d inherited >&2; exit 1; }", leaked, leaked);
	const char *const argv[] = {"sh", "-c", script, NULL};
	char why[512] = "";
	int rc = sd_child_run(argv, NULL, NULL, why, sizeof(why));
	close(leaked);
	signal(SIGPIPE, SIG_DFL);
	if (rc != 0)
		fail_msg("%s", why);
}

static void test_child_not_found(void **state)
{
	(void)state;
	const char *const argv[] = {"no-such-program-sdtest", NULL};
	char why[512] = "";
	assert_int_equal(sd_child_run(argv, NULL, NULL, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no-such-program-sdtest"));
}

static void test_clock(void **state)
{
	(void)state;
	double a = sd_now();
	int64_t ms = sd_now_ms();
	sd_sleep(0.02);
	assert_true(sd_now() - a >= 0.02);
	assert_true(sd_now_ms() - ms >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_utf8_sanitize),
		cmocka_unit_test(test_secret_read),
		cmocka_unit_test(test_child_finish_survives_signals),
		cmocka_unit_test(test_child_clean_start),
		cmocka_unit_test(test_child_not_found),
		cmocka_unit_test(test_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
