/*
 * Generator of the import benchmark's CSV files (bench/import/run.sh builds
 * and runs it): branches, communities, borrowers, accounts and payments in
 * the import format of lib/ingest/kinds.c, every row valid and every
 * reference resolvable. Deterministic for a seed.
 *
 *   gen DIR SEED BRANCHES COMMUNITIES BORROWERS ACCOUNTS PAYMENTS
 *
 * Accounts pick their borrower and branch at random, and payments their
 * account, so the importer's reference checks and indexes see random keys,
 * as they do with a real bank export sorted by id or by date. Payments are
 * in value-date order (2022-01-01 .. 2023-12-31); open dates are earlier.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = s[3] << 45 | s[3] >> 19;
	return result;
}

/* Uniform in [lo, hi]. */
static long range(struct rng *r, long lo, long hi)
{
	return lo + (long)((next(r) >> 11) * 0x1.0p-53 * (double)(hi - lo + 1));
}

#define PICK(r, a) ((a)[range((r), 0, (long)(sizeof(a) / sizeof((a)[0])) - 1)])

/* Days since 1970-01-01 to a civil date and back (Howard Hinnant's). */
static long days_from_civil(long y, long m, long d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static void date_str(long days, char out[11])
{
	int y, m, d;
	civil(days, &y, &m, &d);
	snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}

static void money(FILE *f, long fen)
{
	fprintf(f, "%ld.%02ld", fen / 100, fen % 100);
}

/* An 18-character PRC resident ID with a valid check digit. */
static void national_id(struct rng *r, long birth, char out[19])
{
	static const int weight[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	int y, m, d;
	civil(birth, &y, &m, &d);
	snprintf(out, 19, "330106%04d%02d%02d%03ld", y, m, d, range(r, 0, 999));
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * weight[i];
	out[17] = check[sum % 11];
	out[18] = '\0';
}

static const char *const surnames[] = { "王", "李", "张", "刘", "陈", "杨", "黄", "赵",
	                                "吴", "周", "徐", "孙", "马", "朱", "胡", "郭" };
static const char *const given[] = { "伟", "芳", "娜", "敏", "静", "丽", "强", "磊",
	                             "军", "洋", "勇", "艳", "杰", "娟", "涛", "明" };
static const char *const districts[] = { "西湖区", "上城区", "拱墅区", "滨江区", "余杭区" };
static const char *const occupations[] = { "教师", "司机", "个体户", "工人", "护士",
	                                   "厨师", "销售", "退休",   "" };
static const char *const flags[] = {
	"", "", "", "", "", "", "elderly", "safety_risk", "elderly,hearing_impaired"
};
static const char *const products[] = { "credit_card",   "credit_card",         "consumer_loan",
	                                "consumer_loan", "small_business_loan", "mortgage",
	                                "auto_loan" };
static const char *const statuses[] = { "active", "active", "active", "active",  "active",
	                                "active", "closed", "legal",  "settled", "written_off" };
static const char *const channels[] = { "transfer", "auto_debit", "auto_debit",   "card", "app",
	                                "app",      "branch",     "cash_at_door", "other" };

static FILE *open_csv(const char *dir, const char *name, const char *header)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gen: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	fputs(header, f);
	return f;
}

static void close_csv(FILE *f, const char *name)
{
	if (ferror(f) || fclose(f) != 0) {
		fprintf(stderr, "gen: error writing %s: %s\n", name, strerror(errno));
		exit(1);
	}
}

static long arg(const char *s, const char *what, long min)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min) {
		fprintf(stderr, "gen: bad %s '%s' (a whole number >= %ld)\n", what, s, min);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: gen DIR SEED BRANCHES COMMUNITIES BORROWERS ACCOUNTS "
		                "PAYMENTS\n");
		return 2;
	}
	const char *dir = argv[1];
	uint64_t seed = (uint64_t)arg(argv[2], "seed", 0);
	long nbr = arg(argv[3], "branches", 1), ncomm = arg(argv[4], "communities", 1),
	     nborr = arg(argv[5], "borrowers", 1), nacc = arg(argv[6], "accounts", 1),
	     npay = arg(argv[7], "payments", 0);
	if (nbr > 9999 || ncomm > 999999 || nborr > 99999999 || nacc > 99999999) {
		fprintf(stderr, "gen: too many rows for the id formats\n");
		return 2;
	}
	struct rng r;
	for (int i = 0; i < 4; i++)
		r.s[i] = splitmix(&seed);

	FILE *f = open_csv(dir, "branches.csv", "branch_id,name,city,timezone,address,lat,lon\n");
	for (long b = 1; b <= nbr; b++)
		fprintf(f, "BR%04ld,杭州第%ld支行,杭州市,Asia/Shanghai,%s中心路%ld号,%.6f,%.6f\n",
		        b, b, districts[b % 5], b * 7, 30.20 + (double)range(&r, 0, 20000) * 1e-5,
		        120.05 + (double)range(&r, 0, 30000) * 1e-5);
	close_csv(f, "branches.csv");

	f = open_csv(dir, "communities.csv",
	             "community_id,name,city,district,branch_id,centroid_lat,centroid_lon,"
	             "boundary,partner_status\n");
	for (long c = 1; c <= ncomm; c++) {
		double lat = 30.15 + (double)range(&r, 0, 30000) * 1e-5;
		double lon = 120.00 + (double)range(&r, 0, 40000) * 1e-5;
		fprintf(f, "C%06ld,第%ld社区,杭州市,%s,BR%04ld,%.6f,%.6f,\"", c, c,
		        districts[c % 5], range(&r, 1, nbr), lat, lon);
		static const double dx[6] = { 0.004, 0.002, -0.002, -0.004, -0.002, 0.002 };
		static const double dy[6] = { 0, 0.003, 0.003, 0, -0.003, -0.003 };
		for (int k = 0; k < 6; k++)
			fprintf(f, "%s%.6f %.6f", k ? ";" : "", lon + dx[k], lat + dy[k]);
		fprintf(f, "\",%s\n", c % 4 ? "active" : "pilot");
	}
	close_csv(f, "communities.csv");

	f = open_csv(dir, "borrowers.csv",
	             "borrower_id,name,national_id,phone,alt_phone,address,lat,lon,"
	             "community_id,birth_date,occupation,monthly_income,flags\n");
	long d1950 = days_from_civil(1950, 1, 1), d2002 = days_from_civil(2002, 12, 31);
	for (long b = 1; b <= nborr; b++) {
		long birth = range(&r, d1950, d2002);
		char nid[19], bd[11];
		national_id(&r, birth, nid);
		date_str(birth, bd);
		fprintf(f, "B%08ld,%s%s%s,%s,1%ld%09ld,", b, PICK(&r, surnames), PICK(&r, given),
		        PICK(&r, given), nid, range(&r, 3, 9), range(&r, 0, 999999999));
		if (range(&r, 0, 3) == 0)
			fprintf(f, "0571-%08ld", range(&r, 10000000, 99999999));
		fprintf(f, ",%s某路%ld号%ld室,%.6f,%.6f,C%06ld,%s,%s,", PICK(&r, districts),
		        range(&r, 1, 999), range(&r, 101, 2808),
		        30.15 + (double)range(&r, 0, 30000) * 1e-5,
		        120.00 + (double)range(&r, 0, 40000) * 1e-5, range(&r, 1, ncomm), bd,
		        PICK(&r, occupations));
		money(f, range(&r, 2000, 40000) * 100);
		fprintf(f, ",\"%s\"\n", PICK(&r, flags));
	}
	close_csv(f, "borrowers.csv");

	f = open_csv(dir, "accounts.csv",
	             "account_id,borrower_id,branch_id,product,principal,balance,overdue_amount,"
	             "overdue_since,reported_date,rate,open_date,maturity_date,status\n");
	long d2015 = days_from_civil(2015, 1, 1), d2021 = days_from_civil(2021, 12, 31);
	char rep[11];
	date_str(days_from_civil(2024, 6, 30), rep);
	for (long a = 1; a <= nacc; a++) {
		long b = range(&r, 1, nborr);
		long principal = range(&r, 50, 50000) * 10000;
		long balance = principal / 100 * range(&r, 0, 100);
		long open = range(&r, d2015, d2021);
		char od[11], md[11], since[11];
		date_str(open, od);
		date_str(open + 365 * range(&r, 1, 10), md);
		fprintf(f, "A%08ld,B%08ld,BR%04ld,%s,", a, b, range(&r, 1, nbr),
		        PICK(&r, products));
		money(f, principal);
		fputc(',', f);
		money(f, balance);
		fputc(',', f);
		if (range(&r, 0, 9) == 0) {
			money(f, balance / 10);
			date_str(days_from_civil(2024, 1, 1) + range(&r, 0, 180), since);
			fprintf(f, ",%s,", since);
		} else {
			fputs("0,,", f);
		}
		fprintf(f, "%s,%ld.%02ld,%s,%s,%s\n", rep, range(&r, 3, 24), range(&r, 0, 99), od,
		        md, PICK(&r, statuses));
	}
	close_csv(f, "accounts.csv");

	f = open_csv(dir, "payments.csv",
	             "payment_id,account_id,value_date,paid_at,amount,channel,reference\n");
	long first = days_from_civil(2022, 1, 1), ndays = 730;
	for (long p = 0; p < npay; p++) {
		char vd[11];
		date_str(first + (long)((double)p * (double)ndays / (double)npay), vd);
		fprintf(f, "P%010ld,A%08ld,%s,", p + 1, range(&r, 1, nacc), vd);
		if (range(&r, 0, 4))
			fprintf(f, "%sT%02ld:%02ld:%02ld+08:00", vd, range(&r, 7, 22),
			        range(&r, 0, 59), range(&r, 0, 59));
		fputc(',', f);
		money(f, range(&r, 100, 800000));
		fprintf(f, ",%s,", PICK(&r, channels));
		if (range(&r, 0, 2))
			fprintf(f, "R%014ld", range(&r, 0, 99999999999999L));
		fputc('\n', f);
	}
	close_csv(f, "payments.csv");
	return 0;
}
