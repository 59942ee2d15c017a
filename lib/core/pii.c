/*
 * Personal data: keyed hashes for matching, sealed copies for the roles that
 * may see a value unmasked, masks for everyone else. libsodium does the
 * cryptography (BLAKE2b, XChaCha20-Poly1305).
 */
#include "doorstep/core.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ds_err sodium_ready(void)
{
	return sodium_init() < 0 ? DS_ECRYPTO : DS_OK;
}

ds_err ds_pii_key_load(const char *path, bool create, struct ds_pii_key *key, struct ds_diag *diag)
{
	if (sodium_ready())
		return ds_diag_set(diag, DS_ECRYPTO, path, 0, NULL, "cannot initialise libsodium");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return ds_diag_set(diag, DS_EIO, path, 0, NULL,
			                   "cannot create key file: %s", strerror(errno));
		randombytes_buf(key->k, sizeof key->k);
		char hex[2 * DS_PII_KEYBYTES + 2];
		sodium_bin2hex(hex, sizeof hex, key->k, sizeof key->k);
		size_t n = strlen(hex);
		hex[n++] = '\n';
		bool ok = write(fd, hex, n) == (ssize_t)n && fsync(fd) == 0;
		sodium_memzero(hex, sizeof hex);
		if (close(fd) != 0 || !ok) {
			unlink(path);
			return ds_diag_set(diag, DS_EIO, path, 0, NULL, "cannot write key file");
		}
		return DS_OK;
	}
	if (fd < 0)
		return ds_diag_set(diag, DS_ECRYPTO, path, 0, NULL,
		                   "cannot open key file: %s (a new database gets one "
		                   "from 'doorstep init'; an existing database needs its own "
		                   "key file restored from backup)",
		                   strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		fprintf(stderr,
		        "doorstep: warning: key file %s is readable by "
		        "others; chmod 600 it\n",
		        path);
	char hex[2 * DS_PII_KEYBYTES + 8];
	ssize_t n = read(fd, hex, sizeof hex - 1);
	close(fd);
	if (n < 2 * DS_PII_KEYBYTES)
		return ds_diag_set(diag, DS_ECRYPTO, path, 0, NULL,
		                   "key file is too short (want 64 hex digits)");
	hex[n] = '\0';
	size_t got = 0;
	if (sodium_hex2bin(key->k, sizeof key->k, hex, (size_t)n, "\r\n", &got, NULL) != 0 ||
	    got != sizeof key->k) {
		sodium_memzero(hex, sizeof hex);
		return ds_diag_set(diag, DS_ECRYPTO, path, 0, NULL,
		                   "key file does not hold 64 hex digits");
	}
	sodium_memzero(hex, sizeof hex);
	return DS_OK;
}

void ds_pii_hash(const struct ds_pii_key *key, const char *value, char out[static DS_PII_HASH_HEX])
{
	unsigned char h[32];
	crypto_generichash(h, sizeof h, (const unsigned char *)value, strlen(value), key->k,
	                   sizeof key->k);
	sodium_bin2hex(out, DS_PII_HASH_HEX, h, sizeof h);
}

ds_err ds_pii_seal(const struct ds_pii_key *key, const char *value, unsigned char **out,
                   size_t *outlen)
{
	if (sodium_ready())
		return DS_ECRYPTO;
	size_t n = strlen(value);
	size_t total = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + n +
	               crypto_aead_xchacha20poly1305_ietf_ABYTES;
	unsigned char *buf = ds_malloc(total);
	if (!buf)
		return DS_ENOMEM;
	unsigned char *nonce = buf;
	randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	        buf + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen,
	        (const unsigned char *)value, n, NULL, 0, NULL, nonce, key->k);
	*out = buf;
	*outlen = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + (size_t)clen;
	return DS_OK;
}

ds_err ds_pii_open(const struct ds_pii_key *key, const unsigned char *sealed, size_t len,
                   char **out)
{
	const size_t nb = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
	const size_t ab = crypto_aead_xchacha20poly1305_ietf_ABYTES;
	if (len < nb + ab)
		return DS_ECRYPTO;
	char *plain = ds_malloc(len - nb - ab + 1);
	if (!plain)
		return DS_ENOMEM;
	unsigned long long plen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)plain, &plen, NULL,
	                                               sealed + nb, len - nb, NULL, 0, sealed,
	                                               key->k) != 0) {
		ds_free(plain);
		return DS_ECRYPTO;
	}
	plain[plen] = '\0';
	*out = plain;
	return DS_OK;
}

/* --------------------------------------------------- validation and masks */

ds_err ds_national_id_check(const char *id, const char **why)
{
	static const int weight[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[11] = "10X98765432";
	if (strlen(id) != 18) {
		*why = "not 18 characters";
		return DS_EINVAL;
	}
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		if (id[i] < '0' || id[i] > '9') {
			*why = "first 17 characters must be digits";
			return DS_EINVAL;
		}
		sum += (id[i] - '0') * weight[i];
	}
	int y = 0, m = 0, d = 0;
	for (int i = 6; i < 10; i++)
		y = y * 10 + (id[i] - '0');
	m = (id[10] - '0') * 10 + (id[11] - '0');
	d = (id[12] - '0') * 10 + (id[13] - '0');
	if (!ds_date_valid_ymd(y, m, d)) {
		*why = "birth date inside the number is not a date";
		return DS_EINVAL;
	}
	char last = id[17] == 'x' ? 'X' : id[17];
	if (check[sum % 11] != last) {
		*why = "check digit does not match";
		return DS_EINVAL;
	}
	return DS_OK;
}

ds_err ds_phone_normalise(const char *in, char *out, size_t outsz, const char **why)
{
	char digits[32];
	size_t n = 0;
	const char *p = in;
	if (strncmp(p, "+86", 3) == 0)
		p += 3;
	else if (strncmp(p, "0086", 4) == 0)
		p += 4;
	for (; *p; p++) {
		if (*p == ' ' || *p == '-' || *p == '(' || *p == ')')
			continue;
		if (*p < '0' || *p > '9' || n + 1 >= sizeof digits) {
			*why = "not a phone number";
			return DS_EINVAL;
		}
		digits[n++] = *p;
	}
	digits[n] = '\0';
	bool mobile = n == 11 && digits[0] == '1' && digits[1] >= '3';
	bool landline = n >= 10 && n <= 12 && digits[0] == '0';
	if (!mobile && !landline) {
		*why = "not an 11-digit mobile or a landline with area code";
		return DS_EINVAL;
	}
	if (n + 1 > outsz) {
		*why = "too long";
		return DS_EINVAL;
	}
	memcpy(out, digits, n + 1);
	return DS_OK;
}

void ds_mask_phone(const char *phone, char *out, size_t outsz)
{
	size_t n = strlen(phone);
	if (n < 8) {
		ds_strlcpy(out, "****", outsz);
		return;
	}
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%.3s****%s", phone, phone + n - 4);
	ds_strlcpy(out, tmp, outsz);
}

void ds_mask_national_id(const char *id, char *out, size_t outsz)
{
	size_t n = strlen(id);
	char tmp[64];
	size_t k = 0;
	for (size_t i = 0; i + 4 < n && k < 40; i++)
		tmp[k++] = '*';
	tmp[k] = '\0';
	ds_strlcpy(tmp + k, n >= 4 ? id + n - 4 : "****", sizeof tmp - k);
	ds_strlcpy(out, tmp, outsz);
}

void ds_mask_name(const char *name, char *out, size_t outsz)
{
	struct ds_buf b;
	ds_buf_init(&b, 256);
	size_t n = strlen(name), i = 0;
	if (n > 0) {
		size_t first = 1;
		while (first < n && ((unsigned char)name[first] & 0xC0) == 0x80)
			first++;
		ds_buf_add(&b, name, first);
		for (i = first; i < n; i++)
			if (((unsigned char)name[i] & 0xC0) != 0x80)
				ds_buf_adds(&b, "*");
	}
	ds_strlcpy(out, b.p ? b.p : "", outsz);
	ds_buf_free(&b);
}
