/*
 * test_secret.c — unit tests of src/secret.c through the configuration:
 * where the password and the Kafka secrets come from (key, *.file,
 * environment), the secret files' errors, which keys are secrets, and
 * that no message and no --print-config output shows one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testhelp.h"
#include "configtest.h"

static void
test_password(void)
{
	struct config c;
	char		pwfile[64];
	char		want[256];

	write_tmp(pwfile, "from-file" SECRET "\r\n");

	/* the key wins over the file and the environment */
	setenv(CONFIG_PASSWORD_ENV, "from-env", 1);
	init_base(&c);
	CHECK_INT(config_set(&c, "database.password", "from-key", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "database.password.file", pwfile, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.password, "from-key");
	config_free(&c);

	/* the file wins over the environment; its line end is stripped */
	init_base(&c);
	CHECK_INT(config_set(&c, "database.password.file", pwfile, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.password, "from-file" SECRET);
	/* finishing twice keeps the result */
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.password, "from-file" SECRET);
	config_free(&c);

	/* then the environment */
	init_base(&c);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_STR(c.password, "from-env");
	config_free(&c);

	/* none: NULL, libpq then uses PGPASSWORD or ~/.pgpass */
	setenv(CONFIG_PASSWORD_ENV, "", 1);
	init_base(&c);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK(c.password == NULL);
	config_free(&c);
	unsetenv(CONFIG_PASSWORD_ENV);
	init_base(&c);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK(c.password == NULL);
	config_free(&c);
	unlink(pwfile);

	/* password file errors name the file, never its contents */
	init_base(&c);
	CHECK_INT(config_set(&c, "database.password.file", "/nonexistent/pw", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "database.password.file: cannot open \"/nonexistent/pw\": No such file or directory");
	config_free(&c);

	write_tmp(pwfile, "\n");
	init_base(&c);
	CHECK_INT(config_set(&c, "database.password.file", pwfile, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	snprintf(want, sizeof(want), "database.password.file: \"%s\" is empty", pwfile);
	CHECK_STR(errbuf, want);
	config_free(&c);
	unlink(pwfile);

	write_tmp(pwfile, SECRET "\nsecond line\n");
	init_base(&c);
	CHECK_INT(config_set(&c, "database.password.file", pwfile, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	snprintf(want, sizeof(want),
			 "database.password.file: \"%s\" must hold the secret alone on one line",
			 pwfile);
	CHECK_STR(errbuf, want);
	CHECK(strstr(errbuf, SECRET) == NULL);
	CHECK(c.password == NULL);
	config_free(&c);
	unlink(pwfile);

	{
		char		big[5000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		write_tmp(pwfile, big);
		init_base(&c);
		CHECK_INT(config_set(&c, "database.password.file", pwfile, errbuf, sizeof(errbuf)), 0);
		CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
		snprintf(want, sizeof(want),
				 "database.password.file: \"%s\" is longer than 4096 bytes", pwfile);
		CHECK_STR(errbuf, want);
		config_free(&c);
		unlink(pwfile);

		/* exactly 4096 bytes plus CRLF is accepted */
		memset(big, 'y', 4096);
		strcpy(big + 4096, "\r\n");
		write_tmp(pwfile, big);
		init_base(&c);
		CHECK_INT(config_set(&c, "database.password.file", pwfile, errbuf, sizeof(errbuf)), 0);
		CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
		CHECK_INT((int) strlen(c.password), 4096);
		config_free(&c);
		unlink(pwfile);
	}

	/* no error message of a configuration with a password contains it */
	setenv(CONFIG_PASSWORD_ENV, SECRET, 1);
	init_base(&c);
	CHECK_INT(config_set(&c, "database.password", SECRET, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "database.port", "bad", errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, SECRET) == NULL);
	CHECK_INT(config_set(&c, "sink.type", "file", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, SECRET) == NULL);
	CHECK(strstr(errbuf, "hunter2") == NULL);
	config_free(&c);
	init_base(&c);
	CHECK_INT(config_set(&c, "database.user", "", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK(strstr(errbuf, SECRET) == NULL);
	config_free(&c);
	unsetenv(CONFIG_PASSWORD_ENV);
}

static void
test_secrets(void)
{
	struct config c;
	char		file[64];
	char	   *out;
	int			found = 0;

	CHECK_INT(config_is_secret("database.password"), 1);
	CHECK_INT(config_is_secret("ssh.private.key.passphrase"), 1);
	CHECK_INT(config_is_secret("kafka.sasl.password"), 1);
	CHECK_INT(config_is_secret("kafka.ssl.key.password"), 1);
	CHECK_INT(config_is_secret("kafka.sasl.oauthbearer.client.secret"), 1);
	CHECK_INT(config_is_secret("kafka.ssl.key.pem"), 1);
	CHECK_INT(config_is_secret("kafka.sasl.username"), 0);
	CHECK_INT(config_is_secret("database.password.file"), 0);
	CHECK_INT(config_is_secret("kafka.sasl.password.file"), 0);	/* a path */
	CHECK_INT(config_is_secret("ssh.private.key.passphrase.file"), 0);
	CHECK_INT(config_is_secret("database.user"), 0);

	/* kafka.sasl.password.file becomes kafka.sasl.password */
	write_tmp(file, "k-file" SECRET "\n");
	setenv("WALCAP_KAFKA_SASL_PASSWORD", "k-env" SECRET, 1);
	init_base(&c);
	CHECK_INT(config_set(&c, "sink.type", "kafka", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "kafka.bootstrap.servers", "b:9092", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "kafka.sasl.password.file", file, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nkafka, 2);
	for (int i = 0; i < c.nkafka; i++)
	{
		CHECK(strcmp(c.kafka_keys[i], "sasl.password.file") != 0);
		if (strcmp(c.kafka_keys[i], "sasl.password") == 0)
		{
			CHECK_STR(c.kafka_values[i], "k-file" SECRET);
			found++;
		}
	}
	CHECK_INT(found, 1);
	/* finishing again changes nothing */
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nkafka, 2);
	out = printed(&c);
	CHECK(strstr(out, "\nkafka.sasl.password = ********\n") != NULL);
	CHECK(strstr(out, "\nkafka.bootstrap.servers = b:9092\n") != NULL);
	CHECK(strstr(out, SECRET) == NULL);
	free(out);
	config_free(&c);

	/* without key or file: the environment */
	init_base(&c);
	CHECK_INT(config_set(&c, "sink.type", "kafka", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nkafka, 1);
	CHECK_STR(c.kafka_keys[0], "sasl.password");
	CHECK_STR(c.kafka_values[0], "k-env" SECRET);
	config_free(&c);

	/* the key wins over the environment; other sinks take nothing from it */
	init_base(&c);
	CHECK_INT(config_set(&c, "sink.type", "kafka", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "kafka.sasl.password", "k-key", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nkafka, 1);
	CHECK_STR(c.kafka_values[0], "k-key");
	config_free(&c);
	init_base(&c);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(c.nkafka, 0);
	config_free(&c);
	unsetenv("WALCAP_KAFKA_SASL_PASSWORD");

	/* a missing secret file names the key */
	init_base(&c);
	CHECK_INT(config_set(&c, "sink.type", "kafka", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "kafka.ssl.key.password.file", "/nonexistent/k", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), -1);
	CHECK_STR(errbuf, "kafka.ssl.key.password.file: cannot open \"/nonexistent/k\": No such file or directory");
	config_free(&c);
	unlink(file);

	/* --print-config: every key, defaults and values, the password masked */
	write_tmp(file, "db-file" SECRET "\n");
	init_base(&c);
	CHECK_INT(config_set(&c, "database.password.file", file, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_set(&c, "table.include.list", "public\\.orders", errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	out = printed(&c);
	CHECK(strncmp(out, "# walcap: the configuration in effect (secrets masked)\ndatabase.hostname = localhost\ndatabase.port = 5432\ndatabase.user = u\n"
				  "database.password = ******** (from database.password.file)\n", 170) == 0);
	CHECK(strstr(out, "\ntopic.prefix = shop\n") != NULL);	/* derived */
	CHECK(strstr(out, "\ntable.include.list = public\\.orders\n") != NULL);
	CHECK(strstr(out, "\ntable.exclude.list =\n") != NULL);
	CHECK(strstr(out, "\nwal.retained.warn.bytes = 1073741824\n") != NULL);
	CHECK(strstr(out, "\nssh.host.key.check = true\n") != NULL);
	CHECK(strstr(out, SECRET) == NULL);
	free(out);
	config_free(&c);
	unlink(file);

	/* a password in the file: masked without a source */
	init_base(&c);
	CHECK_INT(config_set(&c, "database.password", SECRET, errbuf, sizeof(errbuf)), 0);
	CHECK_INT(config_finish(&c, errbuf, sizeof(errbuf)), 0);
	out = printed(&c);
	CHECK(strstr(out, "\ndatabase.password = ********\n") != NULL);
	CHECK(strstr(out, SECRET) == NULL);
	free(out);
	config_free(&c);
}

int
main(void)
{
	unsetenv(CONFIG_PASSWORD_ENV);
	test_password();
	test_secrets();
	return TEST_REPORT("test_secret");
}
