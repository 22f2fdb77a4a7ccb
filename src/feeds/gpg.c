/*
 * gpg: OpenPGP detached signatures of CSAF advisories, checked with GPGME
 * in a private GNUPGHOME made for the one sync and removed after it. That
 * home holds only the provider's configured key, so a good signature there
 * can only be that key's; the user's own keyring is never read or changed.
 */
#include <ftw.h>
#include <gpgme.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feeds/feeds_int.h"

struct feeds_gpg {
	gpgme_ctx_t ctx;
	char home[256];
	char fpr[64];
};

static pthread_once_t gpg_once = PTHREAD_ONCE_INIT;

static void gpg_start(void)
{
	gpgme_check_version(NULL);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

void feeds_gpg_close(struct feeds_gpg *g)
{
	if (!g)
		return;
	if (g->ctx)
		gpgme_release(g->ctx);
	if (g->home[0])
		nftw(g->home, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(g);
}

enum bw_err feeds_gpg_open(struct feeds_gpg **out, const char *armoured_key, struct bw_error *err)
{
	*out = NULL;
	pthread_once(&gpg_once, gpg_start);
	if (!armoured_key || !*armoured_key)
		return bw_fail(err, BW_EINVAL, "key", "no OpenPGP key given");
	if (strlen(armoured_key) > FEEDS_LIM_KEY)
		return bw_fail(err, BW_ELIMIT, "key", "the OpenPGP key is larger than %d bytes", FEEDS_LIM_KEY);
	struct feeds_gpg *g = calloc(1, sizeof *g);
	if (!g)
		abort();
	const char *tmp = getenv("TMPDIR");
	snprintf(g->home, sizeof g->home, "%s/bw-gpg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(g->home)) {
		g->home[0] = 0;
		feeds_gpg_close(g);
		return bw_fail(err, BW_EIO, "key", "cannot make a private GnuPG folder");
	}
	gpgme_data_t kd = NULL;
	gpgme_error_t ge = gpgme_new(&g->ctx);
	if (!ge)
		ge = gpgme_set_protocol(g->ctx, GPGME_PROTOCOL_OpenPGP);
	if (!ge)
		ge = gpgme_ctx_set_engine_info(g->ctx, GPGME_PROTOCOL_OpenPGP, NULL, g->home);
	if (!ge)
		ge = gpgme_data_new_from_mem(&kd, armoured_key, strlen(armoured_key), 0);
	if (!ge)
		ge = gpgme_op_import(g->ctx, kd);
	gpgme_data_release(kd);
	if (ge) {
		feeds_gpg_close(g);
		return bw_fail(err, BW_EINVAL, "key", "the OpenPGP key cannot be read: %s", gpgme_strerror(ge));
	}
	gpgme_import_result_t ir = gpgme_op_import_result(g->ctx);
	if (!ir || !ir->imports || !ir->imports->fpr || ir->imports->result) {
		feeds_gpg_close(g);
		return bw_fail(err, BW_EINVAL, "key", "no OpenPGP public key found in the key given");
	}
	snprintf(g->fpr, sizeof g->fpr, "%s", ir->imports->fpr);
	*out = g;
	return BW_OK;
}

const char *feeds_gpg_fpr(const struct feeds_gpg *g)
{
	return g->fpr;
}

enum bw_err feeds_gpg_verify(struct feeds_gpg *g, const char *data, size_t n, const char *sig, size_t sn,
			     struct bw_error *err)
{
	gpgme_data_t sd = NULL, dd = NULL;
	gpgme_error_t ge = gpgme_data_new_from_mem(&sd, sig, sn, 0);
	if (!ge)
		ge = gpgme_data_new_from_mem(&dd, data, n, 0);
	if (!ge)
		ge = gpgme_op_verify(g->ctx, sd, dd, NULL);
	gpgme_data_release(sd);
	gpgme_data_release(dd);
	if (ge)
		return bw_fail(err, BW_EINVAL, "signature", "the signature cannot be read: %s", gpgme_strerror(ge));
	gpgme_verify_result_t vr = gpgme_op_verify_result(g->ctx);
	if (!vr || !vr->signatures)
		return bw_fail(err, BW_EINVAL, "signature", "the signature file holds no signature");
	for (gpgme_signature_t s = vr->signatures; s; s = s->next)
		if (gpgme_err_code(s->status) != GPG_ERR_NO_ERROR)
			return bw_fail(err, BW_EINVAL, "signature", "the OpenPGP signature does not verify: %s",
				       gpgme_strerror(s->status));
	return BW_OK;
}

enum bw_err feeds_gpg_key_fpr(const char *armoured_key, char fpr[64], struct bw_error *err)
{
	struct feeds_gpg *g;
	if (feeds_gpg_open(&g, armoured_key, err) != BW_OK)
		return err->code;
	snprintf(fpr, 64, "%s", g->fpr);
	feeds_gpg_close(g);
	return BW_OK;
}
