/*
 * A synthetic city for demos and tests: districts and communities of a
 * Chinese city, borrowers placed inside their community, credit cards,
 * consumer and small-business loans with their schedules, a year of payments
 * (some borrowers falling behind at different times), collection contacts
 * and the staff who make them. Deterministic for a seed.
 */
#include "doorstep/sim.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ randomness */

/* xoshiro256** seeded by splitmix64: fast, good, reproducible. */
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

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

static double uniform(struct rng *r)
{
	return (double)(next(r) >> 11) * 0x1.0p-53;
}
static long range(struct rng *r, long lo, long hi) /* inclusive */
{
	return lo + (long)(uniform(r) * (double)(hi - lo + 1));
}
static bool chance(struct rng *r, double p)
{
	return uniform(r) < p;
}
static double normal(struct rng *r)
{
	double u = uniform(r), v = uniform(r);
	return sqrt(-2.0 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}
static double lognormal(struct rng *r, double median, double sigma)
{
	return median * exp(sigma * normal(r));
}
#define PICK(r, a) ((a)[range((r), 0, (long)(sizeof(a) / sizeof((a)[0])) - 1)])

/* ----------------------------------------------------------- the city */

static const char *const district_names[] = { "西湖区", "上城区", "拱墅区", "滨江区", "余杭区" };
static const char *const community_stems[] = {
	"翠苑", "文新", "古荡", "湖滨", "小营", "紫阳", "望江", "采荷", "凯旋", "朝晖",
	"潮鸣", "长庆", "武林", "天水", "北山", "西溪", "灵隐", "转塘", "三墩", "留下",
	"蒋村", "九莲", "和睦", "大关", "米市", "半山", "康桥", "东新", "浦沿", "长河",
	"西兴", "闻堰", "良渚", "仓前", "五常", "闲林", "临平", "塘栖", "瓶窑", "径山"
};
static const char *const community_suffix[] = { "一区社区", "二区社区", "新村社区", "花园社区",
	                                        "社区" };
static const char *const surnames[] = { "王", "李", "张", "刘",   "陈", "杨", "黄", "赵", "吴",
	                                "周", "徐", "孙", "马",   "朱", "胡", "郭", "何", "林",
	                                "罗", "高", "郑", "梁",   "谢", "宋", "唐", "许", "韩",
	                                "冯", "邓", "曹", "欧阳", "沈", "叶", "钱", "蒋" };
static const char *const given[] = { "伟",   "芳",   "娜",   "敏", "静", "丽",   "强",   "磊",
	                             "军",   "洋",   "勇",   "艳", "杰", "娟",   "涛",   "明",
	                             "超",   "秀英", "霞",   "平", "刚", "桂英", "建华", "玉兰",
	                             "志强", "晓东", "海燕", "文", "斌", "红" };
static const char *const occupations[] = { "职员", "个体经营", "外卖骑手", "教师",
	                                   "销售", "司机",     "工人",     "自由职业",
	                                   "退休", "无业",     "餐饮",     "网店店主" };

#define CITY_LAT  30.2741
#define CITY_LON  120.1551
#define DEG_LAT_M 111320.0

struct community {
	char id[16];
	double lat, lon, radius_m;
};

static const struct ds_gen_file files[] = {
	{ "branches", "branches.csv" },
	{ "communities", "communities.csv" },
	{ "borrowers", "borrowers.csv" },
	{ "staff", "staff.csv" },
	{ "certifications", "certifications.csv" },
	{ "accounts", "accounts.csv" },
	{ "schedules", "schedules.csv" },
	{ "payments", "payments.csv" },
	{ "contacts", "contacts.csv" },
};

const struct ds_gen_file *ds_generate_files(int *count)
{
	*count = (int)(sizeof files / sizeof files[0]);
	return files;
}

/* ------------------------------------------------------------- output */

struct out {
	FILE *f[9];
	bool failed;
};

static void money(FILE *f, ds_fen v)
{
	char b[32];
	ds_money_format(v, b, sizeof b);
	fputs(b, f);
}

static void date(FILE *f, ds_date d)
{
	char b[11];
	ds_date_format(d, b);
	fputs(b, f);
}

static void offset_point(struct rng *r, const struct community *c, double *lat, double *lon)
{
	double ang = uniform(r) * 2 * M_PI, dist = sqrt(uniform(r)) * c->radius_m * 0.9;
	*lat = c->lat + dist * sin(ang) / DEG_LAT_M;
	*lon = c->lon + dist * cos(ang) / (DEG_LAT_M * cos(c->lat * M_PI / 180));
}

static void national_id(struct rng *r, ds_date birth, char out[19])
{
	static const char *const areas[] = { "330106", "330102", "330105", "330108", "330110" };
	static const int weight[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	int y, m, d;
	ds_date_to_ymd(birth, &y, &m, &d);
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%s%04d%02d%02d%03ld", PICK(r, areas), y, m, d, range(r, 1, 999));
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (tmp[i] - '0') * weight[i];
	tmp[17] = "10X98765432"[sum % 11];
	tmp[18] = '\0';
	memcpy(out, tmp, 19);
}

/* Equal monthly installment of an amortised loan, fen. */
static ds_fen annuity(ds_fen principal, int rate_bp, int months)
{
	double i = rate_bp / 10000.0 / 12.0;
	if (i <= 0)
		return principal / months;
	return (ds_fen)llround((double)principal * i / (1 - pow(1 + i, -months)));
}

/* -------------------------------------------------------- generation */

ds_err ds_generate_csv(const struct ds_gen_opts *opts, const char *dir, struct ds_diag *diag)
{
	struct out o = { 0 };
	int nfiles = (int)(sizeof files / sizeof files[0]);
	for (int i = 0; i < nfiles; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, files[i].file);
		o.f[i] = fopen(path, "w");
		if (!o.f[i]) {
			ds_err e = ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot write: %s",
			                       strerror(errno));
			for (int k = 0; k < i; k++)
				fclose(o.f[k]);
			return e;
		}
	}
	FILE *fbr = o.f[0], *fco = o.f[1], *fbo = o.f[2], *fst = o.f[3], *fce = o.f[4],
	     *fac = o.f[5], *fsc = o.f[6], *fpa = o.f[7], *fct = o.f[8];
	struct rng r;
	rng_seed(&r, opts->seed);
	ds_date today = opts->as_of;

	fputs("branch_id,name,city,timezone,address,lat,lon\n", fbr);
	fputs("community_id,name,city,district,branch_id,centroid_lat,centroid_lon,boundary,"
	      "partner_status\n",
	      fco);
	fputs("borrower_id,name,national_id,phone,alt_phone,address,lat,lon,community_id,birth_"
	      "date,occupation,monthly_income,flags\n",
	      fbo);
	fputs("staff_id,name,role,branch_id,community_id,phone,skills,home_lat,home_lon,shift_"
	      "start,shift_end,hired_date,active\n",
	      fst);
	fputs("staff_id,cert,issued_date,expires_date\n", fce);
	fputs("account_id,borrower_id,branch_id,product,principal,balance,overdue_amount,overdue_"
	      "since,reported_date,rate,open_date,maturity_date,status\n",
	      fac);
	fputs("account_id,seq,due_date,amount\n", fsc);
	fputs("payment_id,account_id,value_date,paid_at,amount,channel,reference\n", fpa);
	fputs("contact_id,account_id,channel,direction,started_at,duration_s,staff_id,party,"
	      "outcome,note\n",
	      fct);

	/* Branches: one per district. */
	int ndist = (int)(sizeof district_names / sizeof district_names[0]);
	for (int d = 0; d < ndist; d++)
		fprintf(fbr, "BR%02d,杭州%s支行,杭州市,Asia/Shanghai,%s中心路%d号,%.6f,%.6f\n",
		        d + 1, district_names[d], district_names[d], 10 + d * 7,
		        CITY_LAT + (d - 2) * 0.03, CITY_LON + ((d % 3) - 1) * 0.04);

	/* Communities: about one per 60 borrowers, at least 8, at most 200. */
	int ncomm = (int)(opts->borrowers / 60);
	ncomm = ncomm < 8 ? 8 : ncomm > 200 ? 200 : ncomm;
	struct community *comm = ds_calloc((size_t)ncomm, sizeof *comm);
	if (!comm) {
		for (int i = 0; i < nfiles; i++)
			fclose(o.f[i]);
		return ds_diag_set(diag, DS_ENOMEM, NULL, 0, NULL, "out of memory");
	}
	int nstems = (int)(sizeof community_stems / sizeof community_stems[0]);
	for (int c = 0; c < ncomm; c++) {
		struct community *cm = &comm[c];
		snprintf(cm->id, sizeof cm->id, "C%04d", c + 1);
		int d = c % ndist;
		double ang = uniform(&r) * 2 * M_PI, dist = 1500 + uniform(&r) * 9000;
		cm->lat = CITY_LAT + (d - 2) * 0.03 + dist * sin(ang) / DEG_LAT_M;
		cm->lon = CITY_LON + ((d % 3) - 1) * 0.04 +
		          dist * cos(ang) / (DEG_LAT_M * cos(CITY_LAT * M_PI / 180));
		cm->radius_m = 250 + uniform(&r) * 400;
		char name[96];
		snprintf(name, sizeof name, "%s%s", community_stems[c % nstems],
		         community_suffix[(c / nstems) % 5]);
		static const char *const status[] = { "active", "active", "active", "pilot",
			                              "none" };
		fprintf(fco, "%s,%s,杭州市,%s,BR%02d,%.6f,%.6f,\"", cm->id, name, district_names[d],
		        d + 1, cm->lat, cm->lon);
		for (int k = 0; k < 6; k++) {
			double a = k * M_PI / 3;
			double la = cm->lat + cm->radius_m * sin(a) / DEG_LAT_M;
			double lo = cm->lon +
			            cm->radius_m * cos(a) / (DEG_LAT_M * cos(cm->lat * M_PI / 180));
			fprintf(fco, "%s%.6f %.6f", k ? ";" : "", lo, la);
		}
		fprintf(fco, "\",%s\n", PICK(&r, status));
	}

	/* Staff: community workers per community, collectors per branch. */
	long nstaff = 0;
	for (int c = 0; c < ncomm; c++) {
		int workers = 1 + (int)range(&r, 0, 1);
		for (int w = 0; w < workers; w++) {
			double la, lo;
			offset_point(&r, &comm[c], &la, &lo);
			fprintf(fst,
			        "S%05ld,%s%s,community_worker,,%s,1%ld%08ld,local_knowledge,%.6f,%."
			        "6f,08:30,17:30,",
			        ++nstaff, PICK(&r, surnames), PICK(&r, given), comm[c].id,
			        range(&r, 35, 89), range(&r, 0, 99999999), la, lo);
			date(fst, today - (ds_date)range(&r, 200, 3000));
			fputs(",1\n", fst);
		}
	}
	long ncollectors = opts->borrowers / 150 < 4 ? 4 : opts->borrowers / 150;
	for (long i = 0; i < ncollectors; i++) {
		int d = (int)(i % ndist);
		long id = ++nstaff;
		static const char *const skills[] = { "counselling", "dialect_wu",
			                              "counselling,dialect_wu", "negotiation",
			                              "small_business" };
		fprintf(fst,
		        "S%05ld,%s%s,collector,BR%02d,,1%ld%08ld,\"%s\",%.6f,%.6f,09:00,18:00,", id,
		        PICK(&r, surnames), PICK(&r, given), d + 1, range(&r, 35, 89),
		        range(&r, 0, 99999999), PICK(&r, skills),
		        CITY_LAT + (d - 2) * 0.03 + normal(&r) * 0.02,
		        CITY_LON + ((d % 3) - 1) * 0.04 + normal(&r) * 0.02);
		ds_date hired = today - (ds_date)range(&r, 60, 4000);
		date(fst, hired);
		fputs(",1\n", fst);
		/* Most hold a valid certification; some have let it lapse. */
		ds_date issued = hired + 30 > today ? today : hired + 30;
		ds_date expires = ds_date_add_months(issued, 24);
		while (expires < today && chance(&r, 0.85)) {
			issued = ds_date_add_months(issued, 24);
			expires = ds_date_add_months(issued, 24);
		}
		fprintf(fce, "S%05ld,collection_basic,", id);
		date(fce, issued > today ? today : issued);
		fputc(',', fce);
		date(fce, expires);
		fputc('\n', fce);
		if (chance(&r, 0.4)) {
			fprintf(fce, "S%05ld,counselling,", id);
			date(fce, hired + 90 > today ? today : hired + 90);
			fputs(",\n", fce);
		}
	}
	static const char *const office[][2] = { { "manager", "经理" },
		                                 { "analyst", "分析" },
		                                 { "auditor", "审计" } };
	for (int i = 0; i < 3; i++) {
		fprintf(fst, "S%05ld,%s%s,%s,BR01,,,,,,,,", ++nstaff, PICK(&r, surnames),
		        office[i][1], office[i][0]);
		date(fst, today - 1000);
		fputs(",1\n", fst);
	}

	/* Borrowers, accounts, schedules, payments, contacts. */
	long nacc = 0, npay = 0, ncontact = 0;
	for (long b = 1; b <= opts->borrowers; b++) {
		struct community *cm = &comm[range(&r, 0, ncomm - 1)];
		int d = (int)((cm - comm) % ndist);
		double la, lo;
		offset_point(&r, cm, &la, &lo);
		ds_date birth = today - (ds_date)range(&r, 22 * 365, 66 * 365);
		char nid[19];
		national_id(&r, birth, nid);
		ds_fen income = (ds_fen)lognormal(&r, 650000, 0.55) / 100 * 100;
		const char *flags = chance(&r, 0.04)   ? "safety_risk"
		                    : chance(&r, 0.05) ? "elderly"
		                                       : "";
		fprintf(fbo, "B%07ld,%s%s,%s,1%ld%08ld,%s,%s%ld幢%ld室,%.6f,%.6f,%s,", b,
		        PICK(&r, surnames), PICK(&r, given), nid, range(&r, 35, 89),
		        range(&r, 0, 99999999),
		        chance(&r, 0.3) ? "0571-8"
		                          "6012345"
		                        : "",
		        cm->id, range(&r, 1, 30), range(&r, 101, 1802), la, lo, cm->id);
		date(fbo, birth);
		fprintf(fbo, ",%s,", PICK(&r, occupations));
		money(fbo, income);
		fprintf(fbo, ",%s\n", flags);

		/* Behaviour: most pay; some fall behind from some month on. */
		double u = uniform(&r);
		int behind_from = u < 0.6 ? -1 : (int)range(&r, 0, 9); /* months ago; -1: never */
		double partial = chance(&r, 0.3) ? 0.35 : 0.0;
		int naccounts = chance(&r, 0.3) ? 2 : 1;
		for (int a = 0; a < naccounts; a++) {
			long acc = ++nacc;
			double pu = uniform(&r);
			const char *product = pu < 0.5    ? "credit_card"
			                      : pu < 0.85 ? "consumer_loan"
			                                  : "small_business_loan";
			int months = 12 * (int)range(&r, 1, 3);
			ds_fen principal;
			int rate;
			if (product[0] == 'c' && product[1] == 'r') {
				principal = (ds_fen)(lognormal(&r, 20000, 0.6)) / 1000 * 100000;
				rate = 1825;
				months = 18;
			} else if (product[0] == 'c') {
				principal = (ds_fen)(lognormal(&r, 60000, 0.7)) / 1000 * 100000;
				rate = (int)range(&r, 400, 1500);
			} else {
				principal = (ds_fen)(lognormal(&r, 300000, 0.7)) / 1000 * 100000;
				rate = (int)range(&r, 350, 900);
			}
			if (principal < 100000)
				principal = 100000;
			int age_months = (int)range(&r, 3, months - 1);
			ds_date open =
			        ds_date_add_months(today, -age_months) - (ds_date)range(&r, 0, 27);
			ds_fen inst = product[1] == 'r' ? principal / 10
			                                : annuity(principal, rate, months);
			/* Schedule and payments, month by month. */
			ds_fen paid_total = 0, due_total = 0;
			for (int k = 1; k <= months; k++) {
				ds_date due = ds_date_add_months(open, k);
				fprintf(fsc, "A%07ld,%d,", acc, k);
				date(fsc, due);
				fputc(',', fsc);
				money(fsc, inst);
				fputc('\n', fsc);
				if (due > today)
					continue;
				due_total += inst;
				int months_ago = (int)((today - due) / 30);
				bool behind = months_ago < behind_from;
				ds_fen amount = inst;
				ds_date when = due - (ds_date)range(&r, 0, 5);
				if (behind) {
					if (partial > 0 && chance(&r, partial))
						amount = inst * range(&r, 2, 6) / 10;
					else
						amount = 0;
				} else if (chance(&r, 0.12)) {
					when = due + (ds_date)range(&r, 1, 20); /* late but paid */
				}
				if (when > today)
					when = today;
				if (amount <= 0)
					continue;
				paid_total += amount;
				static const char *const ch[] = { "auto_debit", "auto_debit",
					                          "transfer", "app", "branch" };
				fprintf(fpa, "P%09ld,A%07ld,", ++npay, acc);
				date(fpa, when);
				char day[11];
				ds_date_format(when, day);
				fprintf(fpa, ",%sT%02ld:%02ld:00+08:00,", day, range(&r, 8, 21),
				        range(&r, 0, 59));
				money(fpa, amount);
				fprintf(fpa, ",%s,\n", PICK(&r, ch));
			}
			ds_fen balance = principal * 9 / 10 - paid_total / 2;
			if (balance < due_total - paid_total)
				balance = due_total - paid_total;
			if (balance < 0)
				balance = 0;
			fprintf(fac, "A%07ld,B%07ld,BR%02d,%s,", acc, b, d + 1, product);
			money(fac, principal);
			fputc(',', fac);
			money(fac, balance);
			fputs(",,,,", fac);
			char rb[16];
			snprintf(rb, sizeof rb, "%d.%02d", rate / 100, rate % 100);
			fprintf(fac, "%s,", rb);
			date(fac, open);
			fputc(',', fac);
			date(fac, ds_date_add_months(open, months));
			fputs(",active\n", fac);
			/* Contacts for accounts in arrears: SMS reminders and calls. */
			if (behind_from >= 0) {
				int n = (int)range(&r, 1, 6);
				for (int c = 0; c < n; c++) {
					bool sms = chance(&r, 0.55);
					ds_date day = today - (ds_date)range(&r, 1, 60);
					char ds[11];
					ds_date_format(day, ds);
					static const char *const call_out[] = {
						"no_answer",     "no_answer", "busy",
						"connected",     "promise",   "refused",
						"invalid_number"
					};
					fprintf(fct,
					        "K%09ld,A%07ld,%s,outbound,%sT%02ld:%02ld:00+08:00,"
					        "%ld,%s,borrower,%s,\n",
					        ++ncontact, acc, sms ? "sms" : "call", ds,
					        range(&r, 9, 19), range(&r, 0, 59),
					        sms ? 0 : range(&r, 0, 400), sms ? "" : "",
					        sms ? "delivered" : PICK(&r, call_out));
				}
			}
		}
	}
	ds_free(comm);
	ds_err err = DS_OK;
	for (int i = 0; i < nfiles; i++)
		if ((ferror(o.f[i]) | fclose(o.f[i])) && !err)
			err = ds_diag_set(diag, DS_EIO, files[i].file, 0, NULL, "write error");
	return err;
}
