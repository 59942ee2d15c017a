/* Internals of the store layer. */
#ifndef DOORSTEP_STORE_INT_H
#define DOORSTEP_STORE_INT_H

#include <stddef.h>

/* Numbered SQL migrations, embedded at build time from migrations/NNNN_*.sql. */
struct ds_migration {
	int version;
	const char *name;
	const char *sql; /* NUL-terminated */
};

extern const struct ds_migration ds_migrations[];
extern const int ds_migrations_count;

#endif
