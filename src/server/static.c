/*
 * The web UI's files (--static DIR): GET and HEAD outside /api/, index.html
 * for /. A path with a "." or ".." segment is refused (400); a file whose
 * real path (symbolic links resolved) is outside DIR, a directory, a
 * special file or a file over SRV_STATIC_MAX is not served (404).
 */
#include "server.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *ext, *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "json", "application/json" },
	{ "map", "application/json" },
	{ "webmanifest", "application/manifest+json" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "ico", "image/x-icon" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "wasm", "application/wasm" },
	{ "pdf", "application/pdf" },
};

static const char *content_type(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');
	if (dot)
		for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* Whether every segment of the path is a plain name. */
static bool plain_path(const char *p)
{
	if (p[0] != '/')
		return false;
	while (*p == '/') {
		const char *seg = p + 1;
		size_t n = strcspn(seg, "/");
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return false;
		for (size_t i = 0; i < n; i++)
			if (seg[i] == '\\' || (unsigned char)seg[i] < 0x20)
				return false;
		p = seg + n;
	}
	return *p == '\0';
}

static void not_found(struct srv_req *r)
{
	srv_error(r, 404, "not_found", "no such file");
}

void srv_static(struct srv_req *r)
{
	const char *root = r->srv->static_root;
	if (!root[0]) {
		not_found(r);
		return;
	}
	if (!plain_path(r->path)) {
		srv_error(r, 400, "bad_request", "a path may not hold \".\" or \"..\" segments");
		return;
	}
	char want[PATH_MAX + 16], real[PATH_MAX];
	int n = snprintf(want, sizeof want, "%s%s", root,
	                 strcmp(r->path, "/") == 0 ? "/index.html" : r->path);
	if (n < 0 || (size_t)n >= sizeof want || !realpath(want, real)) {
		not_found(r);
		return;
	}
	size_t rl = strlen(root);
	if (strncmp(real, root, rl) != 0 || real[rl] != '/') {
		ds_strlcpy(r->error, "a link out of the static directory", sizeof r->error);
		not_found(r);
		return;
	}
	int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	memset(&sb, 0, sizeof sb);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > SRV_STATIC_MAX) {
		if (fd >= 0) {
			if (S_ISREG(sb.st_mode) && sb.st_size > SRV_STATIC_MAX)
				ds_strlcpy(r->error, "a file over the static size cap",
				           sizeof r->error);
			close(fd);
		}
		not_found(r);
		return;
	}
	struct MHD_Response *resp = MHD_create_response_from_fd((size_t)sb.st_size, fd);
	if (!resp) {
		close(fd);
		srv_error(r, 500, "internal", "the file cannot be sent");
		return;
	}
	const char *type = content_type(real);
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control",
	                        strncmp(type, "text/html", 9) == 0 ? "no-cache" : "max-age=300");
	r->bytes = (uint64_t)sb.st_size;
	srv_queue(r, 200, resp, false);
}
