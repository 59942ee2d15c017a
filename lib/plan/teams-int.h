/* The day's teams (lib/plan/teams.c), for the day's routes. */
#ifndef DOORSTEP_PLAN_TEAMS_INT_H
#define DOORSTEP_PLAN_TEAMS_INT_H

#include "doorstep/plan.h"

/* One of the staff who may go out on the day. */
struct day_person {
	char staff[65], branch[65];
	char community[65]; /* a community worker's own community */
	bool collector, certified, experienced, taken;
	double lon, lat;     /* a collector's home */
	int64_t open, close; /* shift, seconds from local midnight */
	char skills[256];    /* staff.skills: comma-separated names */
};

/* A partner community of a branch and the day's visits in it. */
struct day_community {
	char id[65], branch[65];
	double lon, lat; /* centroid */
	long visits;     /* set by the caller before forming teams */
	int64_t value;   /* fen, likewise */
	int teams;       /* teams formed with one of its workers */
};

struct day_team {
	int member[2], n; /* into the people: the first is a collector */
	char branch[65];
	int64_t open, close; /* the overlap of the members' shifts */
};

struct day_staff {
	struct day_person *p;
	long np;
	struct day_community *c;
	long nc;
	struct day_team *t;
	long nt, capt;
};

/* The active collectors with a home (certified: holding a valid
 * `certificate` on the date; experienced: experienced_days in service) and
 * the active community workers of partner communities. */
ds_err day_staff_load(ds_store *st, ds_date date, int experienced_days, const char *certificate,
                      struct day_staff *ds, struct ds_diag *diag);
void day_staff_free(struct day_staff *ds);
/* The community, by id; NULL when not a partner community. */
struct day_community *day_community_find(struct day_staff *ds, const char *id);
/* Forms the branch's teams (appended to ds->t) from its people not yet
 * taken, for the visits and value set on its communities, a team making
 * up to per_team visits a day. */
ds_err day_teams_form(struct day_staff *ds, const char *branch, int per_team, struct ds_diag *diag);
/* The team's members as the contact rules see them (m: 2 places). */
int day_team_members(const struct day_staff *ds, const struct day_team *t,
                     struct ds_team_member *m);

#endif
