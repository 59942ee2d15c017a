/*
 * Experiments: stable assignment of accounts to arms, and the statistics
 * that say what an arm changed (docs/strategy.md, "Experiments").
 */
#include "doorstep/strategy.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <sodium.h>
#include <string.h>

double ds_experiment_draw(const char *experiment_id, const char *account_id)
{
	crypto_generichash_state st;
	unsigned char h[16];
	crypto_generichash_init(&st, NULL, 0, sizeof h);
	/* the NUL keeps ("ab", "c") apart from ("a", "bc") */
	crypto_generichash_update(&st, (const unsigned char *)experiment_id,
	                          strlen(experiment_id) + 1);
	crypto_generichash_update(&st, (const unsigned char *)account_id, strlen(account_id));
	crypto_generichash_final(&st, h, sizeof h);
	uint64_t u = 0;
	for (int k = 0; k < 8; k++)
		u |= (uint64_t)h[k] << (8 * k);
	return (double)(u >> 11) * 0x1.0p-53;
}

int ds_experiment_arm(const char *experiment_id, const char *account_id, const double *shares,
                      int narms)
{
	double u = ds_experiment_draw(experiment_id, account_id), upto = 0;
	for (int a = 0; a < narms - 1; a++) {
		upto += shares[a] > 0 ? shares[a] : 0;
		if (u < upto)
			return a;
	}
	return narms - 1;
}

static ds_err check_confidence(double confidence, struct ds_diag *diag)
{
	return confidence > 0 && confidence < 1
	               ? DS_OK
	               : ds_diag_set(diag, DS_EINVAL, NULL, 0, "confidence",
	                             "a confidence level is between 0 and 1, not %g", confidence);
}

/* Wilson's score interval of x successes in n. */
static void wilson(long x, long n, double z, double *lo, double *hi)
{
	double p = (double)x / (double)n, nn = (double)n, z2 = z * z;
	double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
	double half = z / (1 + z2 / nn) * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
	*lo = fmax(0, centre - half);
	*hi = fmin(1, centre + half);
}

ds_err ds_diff_proportions(long x1, long n1, long x0, long n0, double confidence,
                           struct ds_prop_diff *out, struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	ds_err err = check_confidence(confidence, diag);
	if (err)
		return err;
	if (n1 < 1 || n0 < 1 || x1 < 0 || x0 < 0 || x1 > n1 || x0 > n0)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "proportions need 0 <= successes <= trials and trials >= 1 "
		                   "(arm 1: %ld of %ld, arm 0: %ld of %ld)",
		                   x1, n1, x0, n0);
	double z = gsl_cdf_ugaussian_Pinv(1 - (1 - confidence) / 2);
	*out = (struct ds_prop_diff){ .x1 = x1, .n1 = n1, .x0 = x0, .n0 = n0 };
	out->p1 = (double)x1 / (double)n1;
	out->p0 = (double)x0 / (double)n0;
	out->diff = out->p1 - out->p0;
	double l1, u1, l0, u0;
	wilson(x1, n1, z, &l1, &u1);
	wilson(x0, n0, z, &l0, &u0);
	/* Newcombe (1998), method 10 */
	out->lo =
	        out->diff - sqrt((out->p1 - l1) * (out->p1 - l1) + (u0 - out->p0) * (u0 - out->p0));
	out->hi =
	        out->diff + sqrt((u1 - out->p1) * (u1 - out->p1) + (out->p0 - l0) * (out->p0 - l0));
	double pool = (double)(x1 + x0) / (double)(n1 + n0);
	double se = sqrt(pool * (1 - pool) * (1.0 / (double)n1 + 1.0 / (double)n0));
	out->z = se > 0 ? out->diff / se : 0;
	out->p_value = se > 0 ? 2 * gsl_cdf_ugaussian_Q(fabs(out->z)) : 1;
	return DS_OK;
}

static double resample_mean(const gsl_rng *r, const double *y, long n)
{
	double s = 0;
	for (long k = 0; k < n; k++)
		s += y[gsl_rng_uniform_int(r, (unsigned long)n)];
	return s / (double)n;
}

ds_err ds_diff_means_bootstrap(const double *y1, long n1, const double *y0, long n0,
                               double confidence, int reps, uint64_t seed, struct ds_mean_diff *out,
                               struct ds_diag *diag)
{
	memset(out, 0, sizeof *out);
	ds_err err = check_confidence(confidence, diag);
	if (err)
		return err;
	if (n1 < 1 || n0 < 1)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
		                   "each arm needs at least one value (arm 1: %ld, arm 0: %ld)", n1,
		                   n0);
	if (reps < 10)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, "reps",
		                   "a bootstrap needs at least 10 resamples, not %d", reps);
	out->n1 = n1;
	out->n0 = n0;
	out->m1 = gsl_stats_mean(y1, 1, (size_t)n1);
	out->m0 = gsl_stats_mean(y0, 1, (size_t)n0);
	out->diff = out->m1 - out->m0;
	double *d = ds_malloc((size_t)reps * sizeof *d);
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	if (!d || !r) {
		ds_free(d);
		if (r)
			gsl_rng_free(r);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	gsl_rng_set(r, (unsigned long)(seed ? seed : 1));
	for (int k = 0; k < reps; k++)
		d[k] = resample_mean(r, y1, n1) - resample_mean(r, y0, n0);
	gsl_sort(d, 1, (size_t)reps);
	double tail = (1 - confidence) / 2;
	out->lo = gsl_stats_quantile_from_sorted_data(d, 1, (size_t)reps, tail);
	out->hi = gsl_stats_quantile_from_sorted_data(d, 1, (size_t)reps, 1 - tail);
	gsl_rng_free(r);
	ds_free(d);
	return DS_OK;
}

ds_err ds_sample_size(double p0, double p1, double alpha, double power, double ratio, long *n0,
                      long *n1, struct ds_diag *diag)
{
	*n0 = *n1 = 0;
	const char *bad = !(p0 > 0 && p0 < 1)   ? "p0 is a proportion strictly between 0 and 1"
	                  : !(p1 > 0 && p1 < 1) ? "p1 is a proportion strictly between 0 and 1"
	                  : p1 == p0            ? "p0 and p1 must differ"
	                  : !(alpha > 0 && alpha < 1)       ? "alpha is between 0 and 1"
	                  : !(power > 0.5 && power < 1)     ? "power is between 0.5 and 1"
	                  : !(ratio > 0 && isfinite(ratio)) ? "the ratio of the arms is positive"
	                                                    : NULL;
	if (bad)
		return ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL, "sample size: %s", bad);
	/* Fleiss, without continuity correction, for arms of n0 and k n0 */
	double k = ratio, za = gsl_cdf_ugaussian_Pinv(1 - alpha / 2),
	       zb = gsl_cdf_ugaussian_Pinv(power);
	double pbar = (p0 + k * p1) / (1 + k);
	double a = za * sqrt(pbar * (1 - pbar) * (1 + 1 / k));
	double b = zb * sqrt(p0 * (1 - p0) + p1 * (1 - p1) / k);
	double n = (a + b) * (a + b) / ((p1 - p0) * (p1 - p0));
	*n0 = (long)ceil(n - 1e-9);
	*n1 = (long)ceil(k * n - 1e-9);
	return DS_OK;
}
