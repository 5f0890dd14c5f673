/* version.c - the core's libraries and their versions (see version.h). */
#include "version.h"

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <yaml.h>

size_t sd_library_versions(struct sd_library_version *out, size_t max)
{
	size_t n = 0;
#define ADD(lib, ...)                                                              \
	do {                                                                       \
		if (n < max) {                                                     \
			out[n].name = (lib);                                       \
			snprintf(out[n].version, sizeof(out[n].version), __VA_ARGS__); \
			n++;                                                       \
		}                                                                  \
	} while (0)
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
	ADD("libcurl", "%s%s%s", curl->version, curl->ssl_version ? " " : "",
	    curl->ssl_version ? curl->ssl_version : "");
	int pq = PQlibVersion(); /* 150005 for 15.5 */
	ADD("libpq", "%d.%d", pq / 10000, pq % 10000);
	ADD("hiredis", "%d.%d.%d (built with)", HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
	ADD("jansson", "%s", jansson_version_str());
	ADD("libyaml", "%s", yaml_get_version_string());
#ifdef OPENSSL_VERSION_STRING
	ADD("libcrypto", "%s", OpenSSL_version(OPENSSL_VERSION_STRING)); /* "3.0.19" */
#else
	ADD("libcrypto", "%s", OpenSSL_version(OPENSSL_VERSION));
#endif
#undef ADD
	return n;
}
