/*
 * What the bank observes of the world, written as its import files: the
 * documented CSV format, so the simulated bank enters doorstep exactly as a
 * real one would. Nothing hidden (types, ability, attitudes, cooperation,
 * skill) is written.
 */
#include "sim-int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const district_names[] = { "西湖区", "上城区", "拱墅区", "滨江区", "余杭区" };
static const char *const community_stems[] = {
	"翠苑", "文新", "古荡", "湖滨", "小营", "紫阳", "望江", "采荷", "凯旋", "朝晖",
	"潮鸣", "长庆", "武林", "天水", "北山", "西溪", "灵隐", "转塘", "三墩", "留下",
	"蒋村", "九莲", "和睦", "大关", "米市", "半山", "康桥", "东新", "浦沿", "长河",
	"西兴", "闻堰", "良渚", "仓前", "五常", "闲林", "临平", "塘栖", "瓶窑", "径山"
};
static const char *const community_suffix[] = { "一区社区", "二区社区", "新村社区", "花园社区",
	                                        "北苑社区", "南苑社区", "东苑社区", "西苑社区",
	                                        "社区",     "三区社区" };
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
static const char *const products[] = { "credit_card", "consumer_loan", "small_business_loan" };
static const char *const partner_status[] = { "active", "active", "active", "pilot", "none" };
static const char *const skills[] = { "counselling", "dialect_wu", "counselling,dialect_wu",
	                              "negotiation", "small_business" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

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
	*count = (int)N(files);
	return files;
}

static void name_of(uint32_t seed, char *out, size_t n)
{
	snprintf(out, n, "%s%s", surnames[seed % N(surnames)], given[(seed / 64) % N(given)]);
}

static void date(FILE *f, ds_date d)
{
	char b[11];
	ds_date_format(d, b);
	fputs(b, f);
}

static void money(FILE *f, ds_fen v)
{
	char b[32];
	ds_money_format(v, b, sizeof b);
	fputs(b, f);
}

/* Phone numbers and national IDs derive from the name seed, so they stay
 * the same from one run to the next. */
static void phone(FILE *f, uint32_t seed)
{
	fprintf(f, "1%u%08u", 35 + seed % 55, (seed * 2654435761u) % 100000000u);
}

static void national_id(FILE *f, uint32_t seed, ds_date birth)
{
	static const char *const areas[] = { "330106", "330102", "330105", "330108", "330110" };
	static const int weight[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	int y, m, d;
	ds_date_to_ymd(birth, &y, &m, &d);
	char id[40];
	snprintf(id, sizeof id, "%s%04d%02d%02d%03u", areas[seed % 5], y % 10000, m % 100, d % 100,
	         1 + (seed >> 8) % 999);
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (id[i] - '0') * weight[i];
	id[17] = "10X98765432"[sum % 11];
	id[18] = '\0';
	fputs(id, f);
}

static void community_name(const struct ds_world *w, int c, char *out, size_t n)
{
	(void)w;
	size_t stems = N(community_stems), suff = N(community_suffix);
	size_t round = (size_t)c / (stems * suff);
	snprintf(out, n, "%s%s", community_stems[(size_t)c % stems],
	         community_suffix[((size_t)c / stems) % suff]);
	if (round > 0) {
		size_t len = strlen(out);
		snprintf(out + len, n - len, "%zu", round + 1);
	}
}

static FILE *open_file(const char *dir, const char *name, struct ds_diag *diag, ds_err *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		*err = ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot write: %s",
		                   strerror(errno));
	return f;
}

static ds_err close_file(FILE *f, const char *name, struct ds_diag *diag)
{
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad)
		return ds_diag_set(diag, DS_EIO, name, 0, NULL, "write error");
	return DS_OK;
}

ds_err sim_write_events(const struct ds_world *w, const struct sim_log *log, const char *dir,
                        const char *prefix, struct ds_diag *diag)
{
	ds_err err = DS_OK;
	FILE *fp = open_file(dir, "payments.csv", diag, &err);
	if (!fp)
		return err;
	fputs("payment_id,account_id,value_date,paid_at,amount,channel,reference\n", fp);
	for (size_t k = 0; k < log->npay; k++) {
		const struct sim_payment *p = &log->pay[k];
		char day[11];
		ds_date_format(p->day, day);
		fprintf(fp, "%sP%09zu,A%07u,%s,%sT%02u:%02u:00+08:00,", prefix, k + 1,
		        p->account + 1, day, day, p->minute / 60u % 24u, p->minute % 60u);
		money(fp, p->amount);
		fprintf(fp, ",%s,\n", sim_channels[p->channel]);
	}
	if ((err = close_file(fp, "payments.csv", diag)))
		return err;
	FILE *fc = open_file(dir, "contacts.csv", diag, &err);
	if (!fc)
		return err;
	fputs("contact_id,account_id,channel,direction,started_at,duration_s,staff_id,party,"
	      "outcome,"
	      "note\n",
	      fc);
	for (size_t k = 0; k < log->ncon; k++) {
		const struct sim_contact *c = &log->con[k];
		char day[11];
		ds_date_format(c->day, day);
		ds_treatment t = (ds_treatment)c->treatment;
		const char *channel = t == DS_T_PLAN    ? "call"
		                      : t == DS_T_LEGAL ? "letter"
		                                        : ds_treatment_name(t);
		fprintf(fc, "%sK%09zu,A%07u,%s,outbound,%sT%02u:%02u:00+08:00,", prefix, k + 1,
		        c->account + 1, channel, day, c->minute / 60u % 24u, c->minute % 60u);
		if (t == DS_T_CALL || t == DS_T_PLAN)
			fprintf(fc, "%u", 30u + c->minute % 300u);
		fputc(',', fc);
		if (c->staff >= 0)
			fprintf(fc, "S%05d", c->staff + 1);
		fprintf(fc, ",borrower,%s,%s\n", sim_outcomes[c->outcome],
		        t == DS_T_PLAN    ? "installment plan offered"
		        : t == DS_T_LEGAL ? "legal notice"
		                          : "");
	}
	(void)w;
	return close_file(fc, "contacts.csv", diag);
}

ds_err ds_world_write_csv(const ds_world *w, const char *dir, struct ds_diag *diag)
{
	ds_err err = DS_OK;
	const ds_date today = w->as_of;
	FILE *f;

	if (!(f = open_file(dir, "branches.csv", diag, &err)))
		return err;
	fputs("branch_id,name,city,timezone,address,lat,lon\n", f);
	for (int d = 0; d < w->nbranch; d++)
		fprintf(f, "BR%02d,杭州%s支行,杭州市,Asia/Shanghai,%s中心路%d号,%.6f,%.6f\n", d + 1,
		        district_names[d % 5], district_names[d % 5], 10 + d * 7,
		        30.2741 + (d - 2) * 0.03, 120.1551 + ((d % 3) - 1) * 0.04);
	if ((err = close_file(f, "branches.csv", diag)))
		return err;

	if (!(f = open_file(dir, "communities.csv", diag, &err)))
		return err;
	fputs("community_id,name,city,district,branch_id,centroid_lat,centroid_lon,boundary,"
	      "partner_status\n",
	      f);
	for (int c = 0; c < w->ncomm; c++) {
		const struct sim_community *cm = &w->comm[c];
		char name[96];
		community_name(w, c, name, sizeof name);
		fprintf(f, "%s,%s,杭州市,%s,BR%02d,%.6f,%.6f,\"", cm->id, name,
		        district_names[cm->district % 5], cm->district + 1, cm->lat, cm->lon);
		for (int k = 0; k < 6; k++) {
			double a = k * M_PI / 3;
			double la = cm->lat + cm->radius_m * sin(a) / 111320.0;
			double lo = cm->lon +
			            cm->radius_m * cos(a) / (111320.0 * cos(cm->lat * M_PI / 180));
			fprintf(f, "%s%.6f %.6f", k ? ";" : "", lo, la);
		}
		fprintf(f, "\",%s\n", partner_status[cm->partner % 5]);
	}
	if ((err = close_file(f, "communities.csv", diag)))
		return err;

	if (!(f = open_file(dir, "borrowers.csv", diag, &err)))
		return err;
	fputs("borrower_id,name,national_id,phone,alt_phone,address,lat,lon,community_id,birth_"
	      "date,"
	      "occupation,monthly_income,flags\n",
	      f);
	for (long i = 0; i < w->nb; i++) {
		const struct sim_borrower *b = &w->b[i];
		char name[32];
		name_of(b->name_seed, name, sizeof name);
		fprintf(f, "B%07ld,%s,", i + 1, name);
		national_id(f, b->name_seed, b->birth);
		fputc(',', f);
		phone(f, b->name_seed);
		fprintf(f, ",%s,%s%u幢%u室,%.6f,%.6f,%s,",
		        b->name_seed % 3 == 0 ? "0571-86012345" : "", w->comm[b->community].id,
		        1 + b->name_seed % 30, 101 + (b->name_seed >> 5) % 1700, b->lat, b->lon,
		        w->comm[b->community].id);
		date(f, b->birth);
		fprintf(f, ",%s,", occupations[(b->name_seed >> 3) % N(occupations)]);
		money(f, b->declared);
		/* one elderly borrower in four speaks only the local dialect */
		fprintf(f, ",%s\n",
		        (b->flags & 2)                            ? "safety_risk"
		        : (b->flags & 1) && b->name_seed % 4 == 0 ? "\"elderly,dialect_wu\""
		        : (b->flags & 1)                          ? "elderly"
		                                                  : "");
	}
	if ((err = close_file(f, "borrowers.csv", diag)))
		return err;

	FILE *fs = open_file(dir, "staff.csv", diag, &err);
	if (!fs)
		return err;
	FILE *fc = open_file(dir, "certifications.csv", diag, &err);
	if (!fc) {
		fclose(fs);
		return err;
	}
	fputs("staff_id,name,role,branch_id,community_id,phone,skills,home_lat,home_lon,shift_"
	      "start,"
	      "shift_end,hired_date,active\n",
	      fs);
	fputs("staff_id,cert,issued_date,expires_date\n", fc);
	for (int k = 0; k < w->nstaff; k++) {
		const struct sim_staff *s = &w->staff[k];
		char name[32];
		name_of(s->name_seed, name, sizeof name);
		static const char *const office[] = { "manager", "analyst", "auditor" };
		if (s->role == 1) {
			fprintf(fs, "S%05d,%s,community_worker,,%s,", k + 1, name,
			        w->comm[s->community].id);
			phone(fs, s->name_seed);
			fprintf(fs, ",local_knowledge,%.6f,%.6f,08:30,17:30,", s->lat, s->lon);
		} else if (s->role == 0) {
			fprintf(fs, "S%05d,%s,collector,BR%02d,,", k + 1, name, s->district + 1);
			phone(fs, s->name_seed);
			fprintf(fs, ",\"%s\",%.6f,%.6f,09:00,18:00,",
			        skills[s->name_seed % N(skills)], s->lat, s->lon);
			fprintf(fc, "S%05d,collection_basic,", k + 1);
			date(fc, s->cert_issued);
			fputc(',', fc);
			date(fc, s->cert_expires);
			fputc('\n', fc);
			/* training shows in skill: the better half hold counselling */
			if (s->skill > 0.55) {
				fprintf(fc, "S%05d,counselling,", k + 1);
				date(fc, s->hired + 90 > today ? today : s->hired + 90);
				fputs(",\n", fc);
			}
		} else {
			fprintf(fs, "S%05d,%s,%s,BR01,,,,,,,,", k + 1, name, office[k % 3]);
		}
		date(fs, s->hired);
		fputs(",1\n", fs);
	}
	if ((err = close_file(fs, "staff.csv", diag))) {
		fclose(fc);
		return err;
	}
	if ((err = close_file(fc, "certifications.csv", diag)))
		return err;

	FILE *fa = open_file(dir, "accounts.csv", diag, &err);
	if (!fa)
		return err;
	FILE *fsch = open_file(dir, "schedules.csv", diag, &err);
	if (!fsch) {
		fclose(fa);
		return err;
	}
	fputs("account_id,borrower_id,branch_id,product,principal,balance,overdue_amount,overdue_"
	      "since,reported_date,rate,open_date,maturity_date,status\n",
	      fa);
	fputs("account_id,seq,due_date,amount\n", fsch);
	for (long i = 0; i < w->na; i++) {
		const struct sim_account *a = &w->a[i];
		const struct sim_borrower *b = &w->b[a->borrower];
		fprintf(fa, "A%07ld,B%07u,BR%02d,%s,", i + 1, a->borrower + 1,
		        w->comm[b->community].district + 1, products[a->product]);
		money(fa, a->principal);
		fputc(',', fa);
		money(fa, sim_balance(a));
		fprintf(fa, ",,,,%d.%02d,", a->rate_bp / 100, a->rate_bp % 100);
		date(fa, a->open);
		fputc(',', fa);
		date(fa, sim_due(a, a->months));
		fprintf(fa, ",%s\n", a->legal ? "legal" : "active");
		for (int k = 1; k <= a->months; k++) {
			fprintf(fsch, "A%07ld,%d,", i + 1, k);
			date(fsch, sim_due(a, k));
			fputc(',', fsch);
			money(fsch, a->inst);
			fputc('\n', fsch);
		}
	}
	if ((err = close_file(fa, "accounts.csv", diag))) {
		fclose(fsch);
		return err;
	}
	if ((err = close_file(fsch, "schedules.csv", diag)))
		return err;
	return sim_write_events(w, &w->history, dir, "", diag);
}

ds_err ds_generate_csv(const struct ds_gen_opts *opts, const char *dir, struct ds_diag *diag)
{
	ds_world *w;
	ds_err err = ds_world_generate(opts, &w, diag);
	if (err)
		return err;
	err = ds_world_write_csv(w, dir, diag);
	ds_world_free(w);
	return err;
}

ds_err ds_world_write_truth(const ds_world *w, const char *path, struct ds_diag *diag)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot write: %s",
		                   strerror(errno));
	int horizon = w->p.truth_horizon;
	fputs("account_id,dpd,overdue", f);
	for (int t = 0; t < DS_T_COUNT; t++)
		fprintf(f, ",%s", ds_treatment_name((ds_treatment)t));
	fputs(",visit_complaint_chance,capacity,type,attitude\n", f);
	for (long i = 0; i < w->na; i++) {
		const struct sim_account *a = &w->a[i];
		ds_fen overdue = sim_overdue(a, w->as_of);
		if (overdue <= 0)
			continue;
		const struct sim_borrower *b = &w->b[a->borrower];
		fprintf(f, "A%07ld,%d,", i + 1, sim_dpd(a, w->as_of));
		money(f, overdue);
		for (int t = 0; t < DS_T_COUNT; t++) {
			fputc(',', f);
			money(f,
			      llround(sim_expected(w, b, a, (ds_treatment)t, w->as_of, horizon)));
		}
		double c =
		        w->p.complaint[DS_T_VISIT] *
		        (b->attitude == AT_HOSTILE ? w->p.hostile_complaint : 1) *
		        (b->type == TY_DISPUTE || b->type == TY_FRAUD ? w->p.dispute_complaint : 1);
		static const char *const attitudes[] = { "cooperative", "neutral", "hostile" };
		fprintf(f, ",%.4f,%.4f,%s,%s\n", c > 1 ? 1 : c, b->capacity,
		        sim_type_names[b->type], attitudes[b->attitude]);
	}
	return close_file(f, path, diag);
}
