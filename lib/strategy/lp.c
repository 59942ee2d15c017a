/*
 * The optimiser's reference: the LP relaxation of the day's problem
 * (ds_optimise) solved exactly with GLPK's simplex. Rows: one per account
 * (its options sum to at most 1) and one per resource (use within the
 * capacity); columns: the options, between 0 and 1.
 */
#include "doorstep/strategy.h"

#include <glpk.h>
#include <limits.h>
#include <string.h>

ds_err ds_optimise_lp(const struct ds_opt_problem *p, double *value, double *x,
                      struct ds_diag *diag)
{
	*value = 0;
	if (p->nopt == 0)
		return DS_OK;
	if (p->nopt > INT_MAX / 2 - 1 || p->naccounts + p->nresources > INT_MAX - 1)
		return ds_diag_set(diag, DS_ETOOBIG, NULL, 0, NULL,
		                   "%ld options are too many for the LP reference", p->nopt);
	int ncol = (int)p->nopt, naccrows = (int)p->naccounts, nrow = naccrows + p->nresources;
	size_t nnz = 2 * (size_t)ncol;
	int *ia = ds_malloc((nnz + 1) * sizeof *ia);
	int *ja = ds_malloc((nnz + 1) * sizeof *ja);
	double *ar = ds_malloc((nnz + 1) * sizeof *ar);
	if (!ia || !ja || !ar) {
		ds_free(ia);
		ds_free(ja);
		ds_free(ar);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	glp_term_out(GLP_OFF);
	glp_prob *lp = glp_create_prob();
	glp_set_obj_dir(lp, GLP_MAX);
	glp_add_rows(lp, nrow);
	for (int i = 1; i <= naccrows; i++)
		glp_set_row_bnds(lp, i, GLP_UP, 0, 1);
	for (int r = 0; r < p->nresources; r++)
		glp_set_row_bnds(lp, naccrows + r + 1, GLP_UP, 0, p->capacity[r]);
	glp_add_cols(lp, ncol);
	size_t k = 0;
	ds_err err = DS_OK;
	for (int o = 0; o < ncol; o++) {
		const struct ds_opt_option *op = &p->opt[o];
		if (op->account >= (uint64_t)p->naccounts ||
		    op->resource >= (unsigned)p->nresources) {
			err = ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
			                  "option %d: account or resource out of range", o);
			break;
		}
		glp_set_col_bnds(lp, o + 1, GLP_DB, 0, 1);
		glp_set_obj_coef(lp, o + 1, op->value);
		k++;
		ia[k] = (int)op->account + 1, ja[k] = o + 1, ar[k] = 1;
		k++;
		ia[k] = naccrows + (int)op->resource + 1, ja[k] = o + 1, ar[k] = op->use;
	}
	if (!err) {
		glp_load_matrix(lp, (int)k, ia, ja, ar);
		glp_smcp parm;
		glp_init_smcp(&parm);
		parm.msg_lev = GLP_MSG_OFF;
		parm.presolve = GLP_ON;
		int rc = glp_simplex(lp, &parm);
		if (rc != 0 || glp_get_status(lp) != GLP_OPT) {
			err = ds_diag_set(diag, DS_EINVAL, NULL, 0, NULL,
			                  "GLPK found no optimum (simplex code %d, status %d)", rc,
			                  glp_get_status(lp));
		} else {
			*value = glp_get_obj_val(lp);
			for (int o = 0; x && o < ncol; o++)
				x[o] = glp_get_col_prim(lp, o + 1);
		}
	}
	glp_delete_prob(lp);
	ds_free(ia);
	ds_free(ja);
	ds_free(ar);
	return err;
}
