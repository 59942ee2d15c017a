/* The reproducible generator (core.h): xoshiro256** (Blackman and Vigna),
 * its state filled by splitmix64 from the seed. */
#include "doorstep/core.h"

void ds_rng_seed(struct ds_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = ds_mix64(seed += 0x9E3779B97F4A7C15ull);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t ds_rng_next(struct ds_rng *r)
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

double ds_rng_uniform(struct ds_rng *r)
{
	return (double)(ds_rng_next(r) >> 11) * 0x1.0p-53;
}
