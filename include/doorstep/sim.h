/*
 * The synthetic world: a plausible city with its borrowers, accounts and
 * history, written as the bank's import files (the documented CSV format),
 * so it enters doorstep exactly as a real feed would.
 */
#ifndef DOORSTEP_SIM_H
#define DOORSTEP_SIM_H

#include "doorstep/core.h"

struct ds_gen_opts {
	uint64_t seed;
	long borrowers; /* number of borrowers (accounts are ~1.3x) */
	ds_date as_of;  /* the day the portfolio is extracted */
};

/* The files ds_generate_csv writes, in import order, with their kinds. */
struct ds_gen_file {
	const char *kind;
	const char *file;
};
const struct ds_gen_file *ds_generate_files(int *count);

/* Writes the CSV files into `dir` (which must exist). Deterministic for a
 * seed. */
ds_err ds_generate_csv(const struct ds_gen_opts *opts, const char *dir, struct ds_diag *diag);

#endif
