/* outfile.c: output files that appear whole or not at all, and never damage what they replace.
 *
 * A regular file (or a new path) is written to a temporary file beside its target, fsynced
 * and renamed over it; a symbolic link is followed so its target is replaced and the link
 * kept. Devices, FIFOs, sockets and /proc files are written directly: renaming over them
 * would replace the node itself. A new file gets 0666 less the umask (open applies it); a
 * replaced file keeps its mode (and, where allowed, its owner). The temporary names sit in a
 * registry that a signal handler can walk with async-signal-safe calls only, so an
 * interrupted run leaves no temporary file behind. */
#define _GNU_SOURCE /* flock, realpath, memfd_create */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <crmkit/io.h>
#include <crmkit/outfile.h>

#include "core_internal.h"

#ifndef NAME_MAX
#define NAME_MAX 255
#endif

enum {
    OUT_STDOUT,
    OUT_DIRECT,
    OUT_ATOMIC,
    OUT_TABLE /* a database table: CSV kept in an anonymous memory file, stored on commit */
};

#define TMP_SUFFIX     ".tmp."
#define TMP_RANDOM     6
#define MAX_LINK_HOPS  40
#define REGISTRY_SLOTS 128

struct crm_outfile {
    FILE *fp;
    int kind;
    int slot;      /* registry slot of tmp_path, or -1 */
    bool fsync_ok; /* direct writes to regular files can be fsynced */
    char *path;    /* what the user named (messages) */
    char *target;  /* the file a rename replaces: path with symbolic links followed */
    char *tmp_path;
    crm_outfile *next; /* in the pending set of this thread */
};

/* ---- registry of temporary names (read by signal handlers) ---- */

static _Atomic(char *) registry[REGISTRY_SLOTS];

static int registry_add(char *p)
{
    for (int i = 0; i < REGISTRY_SLOTS; i++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&registry[i], &expected, p)) {
            return i;
        }
    }
    return -1; /* full: the file is still removed on every normal path, only not on a signal */
}

static void registry_drop(int slot)
{
    if (slot >= 0) {
        atomic_store(&registry[slot], NULL);
    }
}

void crm_outfile_remove_temporaries(void)
{
    for (int i = 0; i < REGISTRY_SLOTS; i++) {
        char *p = atomic_load(&registry[i]);
        if (p != NULL) {
            (void)unlink(p);
        }
    }
}

/* ---- paths ---- */

static char *join_dir(const char *dir, size_t dir_len, const char *name)
{
    size_t n = strlen(name);
    char *s = crm_malloc(dir_len + 1 + n + 1);
    if (s == NULL) {
        return NULL;
    }
    memcpy(s, dir, dir_len);
    s[dir_len] = '/';
    memcpy(s + dir_len + 1, name, n + 1);
    return s;
}

/* path with every symbolic link of its last component followed (the link's target may not
 * exist yet: it is then created). *via_proc is set when a link went through /proc, whose
 * "files" are views of descriptors that must be written in place. NULL on error (errno). */
static char *follow_links(const char *path, bool *via_proc)
{
    char *cur = crm_strdup(path);
    *via_proc = strncmp(path, "/proc/", 6) == 0;
    for (int hop = 0; cur != NULL; hop++) {
        struct stat st;
        char link[PATH_MAX];
        ssize_t n;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) {
            return cur;
        }
        if (hop == MAX_LINK_HOPS) {
            crm_free(cur);
            errno = ELOOP;
            return NULL;
        }
        n = readlink(cur, link, sizeof link - 1);
        if (n < 0) {
            crm_free(cur);
            return NULL;
        }
        link[n] = '\0';
        if (link[0] == '/') {
            crm_free(cur);
            cur = crm_strdup(link);
        } else {
            const char *slash = strrchr(cur, '/');
            char *next = slash ? join_dir(cur, (size_t)(slash - cur), link) : crm_strdup(link);
            crm_free(cur);
            cur = next;
        }
        if (cur != NULL && strncmp(cur, "/proc/", 6) == 0) {
            *via_proc = true;
        }
    }
    errno = ENOMEM;
    return NULL;
}

/* A name for the temporary file beside target that fits in NAME_MAX: "base.tmp.XXXXXX",
 * with base shortened when the target's own name is near the limit. */
static char *temp_name(const char *target)
{
    static atomic_uint counter;
    static const char digits[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const char *slash = strrchr(target, '/');
    size_t dir_len = slash ? (size_t)(slash - target) + 1 : 0;
    size_t base_len = strlen(target + dir_len);
    size_t room = NAME_MAX - (sizeof TMP_SUFFIX - 1) - TMP_RANDOM;
    size_t keep = base_len < room ? base_len : room;
    char *s = crm_malloc(dir_len + keep + sizeof TMP_SUFFIX - 1 + TMP_RANDOM + 1);
    struct timespec ts;
    uint64_t x;
    char *p;
    if (s == NULL) {
        return NULL;
    }
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40) ^
        ((uint64_t)atomic_fetch_add(&counter, 1u) * 0x9E3779B97F4A7C15ull) ^ (uintptr_t)s;
    memcpy(s, target, dir_len + keep);
    p = s + dir_len + keep;
    memcpy(p, TMP_SUFFIX, sizeof TMP_SUFFIX - 1);
    p += sizeof TMP_SUFFIX - 1;
    for (int i = 0; i < TMP_RANDOM; i++) {
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9ull;
        x ^= x >> 32;
        p[i] = digits[x % (sizeof digits - 1)];
    }
    p[TMP_RANDOM] = '\0';
    return s;
}

/* ---- open ---- */

static void release(crm_outfile *f)
{
    if (f->kind == OUT_TABLE && f->fp != NULL) {
        (void)fclose(f->fp);
    }
    registry_drop(f->slot);
    CRM__FREE(f->path, f->target, f->tmp_path, f);
}

static crm_status fail_errno(crm_error *err, int e, const char *path, const char *what)
{
    (void)crm__error_errno(err, e ? e : EIO, path, what);
    if (err != NULL) {
        err->code = CRM_EIO; /* a missing output folder is an output error too */
    }
    return CRM_EIO;
}

static int open_socket(const char *path)
{
    struct sockaddr_un sa;
    int fd;
    if (strlen(path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The descriptor a name such as /dev/stdout, /dev/fd/3 or /proc/self/fd/3 stands for, or -1.
 * Writing through a copy of it keeps what the shell set up (an append, a file position)
 * where reopening the name would not. */
static int named_descriptor(const char *path)
{
    static const char *const prefixes[] = { "/dev/fd/", "/proc/self/fd/" };
    char *end;
    long n;
    if (strcmp(path, "/dev/stdout") == 0) {
        return STDOUT_FILENO;
    }
    if (strcmp(path, "/dev/stderr") == 0) {
        return STDERR_FILENO;
    }
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t k = strlen(prefixes[i]);
        if (strncmp(path, prefixes[i], k) == 0 && path[k] >= '0' && path[k] <= '9') {
            n = strtol(path + k, &end, 10);
            return *end == '\0' && n <= INT_MAX ? (int)n : -1;
        }
    }
    return -1;
}

/* Devices, FIFOs, sockets, /proc views: written where they are. */
static crm_status open_direct(crm_outfile *f, const struct stat *st, crm_error *err)
{
    int fd;
    int named = named_descriptor(f->path);
    if (named >= 0) {
        fflush(named == STDOUT_FILENO ? stdout : NULL);
        fd = fcntl(named, F_DUPFD_CLOEXEC, 3);
    } else if (S_ISSOCK(st->st_mode)) {
        fd = open_socket(f->path);
    } else {
        int flags = O_WRONLY | O_NOCTTY | O_CLOEXEC | (S_ISREG(st->st_mode) ? O_TRUNC : 0);
        fd = open(f->path, flags);
    }
    if (fd < 0) {
        return fail_errno(err, errno, f->path, "cannot open output file");
    }
    f->kind = OUT_DIRECT;
    f->fsync_ok = S_ISREG(st->st_mode);
    f->fp = fdopen(fd, "w");
    if (f->fp == NULL) {
        int e = errno;
        close(fd);
        return fail_errno(err, e, f->path, "cannot open output file");
    }
    return CRM_OK;
}

static crm_status open_atomic(crm_outfile *f, crm_error *err)
{
    struct stat old;
    bool replacing = stat(f->target, &old) == 0 && S_ISREG(old.st_mode);
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; attempt++) {
        registry_drop(f->slot);
        crm_free(f->tmp_path);
        f->tmp_path = temp_name(f->target);
        if (f->tmp_path == NULL) {
            return crm__error_nomem(err);
        }
        /* registered before it exists, so a signal between open and registration cannot
         * leave it behind */
        f->slot = registry_add(f->tmp_path);
        /* 0666: open applies the umask to a new file, as a shell redirection does */
        fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
        if (fd < 0 && errno != EEXIST) {
            break;
        }
    }
    if (fd < 0) {
        return fail_errno(err, errno, f->path, "cannot create output file");
    }
    if (replacing) {
        /* keep the replaced file's owner (where allowed) and mode */
        if (old.st_uid != geteuid() || old.st_gid != getegid()) {
            (void)!fchown(fd, old.st_uid, old.st_gid);
        }
        (void)fchmod(fd, old.st_mode & 07777);
    }
    f->kind = OUT_ATOMIC;
    f->fsync_ok = true;
    f->fp = fdopen(fd, "w");
    if (f->fp == NULL) {
        int e = errno;
        close(fd);
        (void)unlink(f->tmp_path);
        return fail_errno(err, e, f->path, "cannot open output file");
    }
    return CRM_OK;
}

/* A database table: the CSV goes to an anonymous memory file until commit stores it. */
static crm_status open_table(crm_outfile *f, crm_error *err)
{
    int fd = memfd_create("crmkit-output", MFD_CLOEXEC);
    f->kind = OUT_TABLE;
    f->fp = fd >= 0 ? fdopen(fd, "w+") : NULL;
    if (f->fp == NULL) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
        }
        return fail_errno(err, e, f->path, "cannot keep the rows for");
    }
    return CRM_OK;
}

crm_status crm_outfile_open(const char *path, crm_outfile **out, crm_error *err)
{
    crm_outfile *f;
    struct stat st;
    bool via_proc = false;
    crm_status rc;
    *out = NULL;
    if (path == NULL || path[0] == '\0') {
        return crm__error_set(err, CRM_EINVAL, "output path is empty");
    }
    f = crm_calloc(1, sizeof *f);
    if (f == NULL) {
        return crm__error_nomem(err);
    }
    f->slot = -1;
    if (strcmp(path, "-") == 0) {
        f->fp = stdout;
        f->kind = OUT_STDOUT;
        *out = f;
        return CRM_OK;
    }
    f->path = crm_strdup(path);
    if (f->path == NULL) {
        release(f);
        return crm__error_nomem(err);
    }
    if (crm_table_source_is_database(path)) {
        rc = open_table(f, err);
        if (rc != CRM_OK) {
            release(f);
            return rc;
        }
        *out = f;
        return CRM_OK;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        release(f);
        return fail_errno(err, EISDIR, path, "cannot create output file");
    }
    f->target = follow_links(path, &via_proc);
    if (f->target == NULL) {
        rc = errno == ENOMEM ? crm__error_nomem(err)
                             : fail_errno(err, errno, path, "cannot create output file");
        release(f);
        return rc;
    }
    if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || via_proc || named_descriptor(path) >= 0)) {
        rc = open_direct(f, &st, err);
    } else {
        rc = open_atomic(f, err);
    }
    if (rc != CRM_OK) {
        if (f->tmp_path != NULL) {
            (void)unlink(f->tmp_path);
        }
        release(f);
        return rc;
    }
    *out = f;
    return CRM_OK;
}

FILE *crm_outfile_stream(crm_outfile *f)
{
    return f->fp;
}

/* ---- sets: commit holds back renames until the set ends ---- */

static _Thread_local int set_depth;
static _Thread_local crm_outfile *set_pending; /* most recent first */

void crm_outfile_set_begin(void)
{
    set_depth++;
}

/* The folder of target into dir[PATH_MAX]; 0 when it is too long. */
static int dir_of(const char *target, char *dir)
{
    const char *slash = strrchr(target, '/');
    if (slash == NULL) {
        snprintf(dir, PATH_MAX, ".");
    } else if (slash == target) {
        snprintf(dir, PATH_MAX, "/");
    } else if ((size_t)(slash - target) < PATH_MAX) {
        memcpy(dir, target, (size_t)(slash - target));
        dir[slash - target] = '\0';
    } else {
        return 0;
    }
    return 1;
}

static void fsync_dir_of(const char *target)
{
    char dir[PATH_MAX];
    int fd;
    if (!dir_of(target, dir)) {
        return;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd); /* durability of the rename; some file systems refuse: ignored */
        close(fd);
    }
}

static crm_status publish(crm_outfile *f, crm_error *err)
{
    crm_status rc = CRM_OK;
    if (f->kind == OUT_TABLE) {
        rc = crm_table_store_csv(f->path, fileno(f->fp), NULL, err);
    } else if (rename(f->tmp_path, f->target) != 0) {
        int e = errno;
        (void)unlink(f->tmp_path);
        rc = fail_errno(err, e, f->path, "writing failed");
    } else {
        fsync_dir_of(f->target);
    }
    release(f);
    return rc;
}

static int lock_dir_of(const char *target)
{
    char dir[PATH_MAX];
    int fd;
    if (!dir_of(target, dir)) {
        return -1;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)flock(fd, LOCK_EX);
    }
    return fd;
}

crm_status crm_outfile_set_end(int commit, crm_error *err)
{
    crm_outfile *list = NULL;
    crm_status rc = CRM_OK;
    int lock_fd = -1;
    if (set_depth > 0 && --set_depth > 0) {
        return CRM_OK; /* an inner set: the outermost one publishes */
    }
    /* in the order the files were committed */
    while (set_pending != NULL) {
        crm_outfile *f = set_pending;
        set_pending = f->next;
        f->next = list;
        list = f;
    }
    for (crm_outfile *f = list; commit && f != NULL && lock_fd < 0; f = f->next) {
        /* two runs writing the same set renamed one after the other, never interleaved */
        lock_fd = f->kind == OUT_ATOMIC ? lock_dir_of(f->target) : -1;
    }
    /* tables first: a database refuses more often than a rename fails */
    for (int tables = 1; tables >= 0; tables--) {
        crm_outfile **link = &list;
        while (*link != NULL) {
            crm_outfile *f = *link;
            if ((f->kind == OUT_TABLE) != tables) {
                link = &f->next;
                continue;
            }
            *link = f->next;
            if (commit && rc == CRM_OK) {
                rc = publish(f, err);
            } else {
                if (f->kind == OUT_ATOMIC) {
                    (void)unlink(f->tmp_path);
                }
                release(f);
            }
        }
    }
    if (lock_fd >= 0) {
        close(lock_fd); /* releases the lock */
    }
    return rc;
}

/* ---- commit and abort ---- */

crm_status crm_outfile_commit(crm_outfile *f, crm_error *err)
{
    bool failed;
    int e;
    if (f->kind == OUT_STDOUT) {
        failed = (fflush(f->fp) != 0 || ferror(f->fp));
        release(f);
        return failed ? crm__error_set(err, CRM_EIO, "writing to standard output failed") : CRM_OK;
    }
    errno = 0;
    failed = ferror(f->fp) || fflush(f->fp) != 0 || (f->fsync_ok && fsync(fileno(f->fp)) != 0);
    e = errno;
    if (f->kind == OUT_TABLE && !failed) { /* the memory file stays open until it is stored */
        if (set_depth > 0) {
            f->next = set_pending;
            set_pending = f;
            return CRM_OK;
        }
        return publish(f, err);
    }
    if (f->kind == OUT_TABLE) {
        (void)fail_errno(err, e, f->path, "writing failed");
        release(f);
        return CRM_EIO;
    }
    if (fclose(f->fp) != 0 && !failed) {
        failed = true;
        e = errno;
    }
    f->fp = NULL;
    if (failed) {
        if (f->kind == OUT_ATOMIC) {
            (void)unlink(f->tmp_path);
        }
        (void)fail_errno(err, e, f->path, "writing failed");
        release(f);
        return CRM_EIO;
    }
    if (f->kind == OUT_DIRECT) {
        release(f);
        return CRM_OK;
    }
    if (set_depth > 0) {
        f->next = set_pending;
        set_pending = f;
        return CRM_OK;
    }
    return publish(f, err);
}

void crm_outfile_abort(crm_outfile *f)
{
    if (f == NULL) {
        return;
    }
    if (f->fp != NULL && f->kind != OUT_STDOUT && f->kind != OUT_TABLE) {
        (void)fclose(f->fp);
        f->fp = NULL;
    }
    if (f->kind == OUT_ATOMIC && f->tmp_path != NULL) {
        (void)unlink(f->tmp_path);
    }
    release(f);
}

/* ---- checks before the work ---- */

/* The folder that will hold path (symbolic links followed), or NULL (errno). */
static char *parent_dir(const char *target)
{
    const char *slash = strrchr(target, '/');
    if (slash == NULL) {
        return crm_strdup(".");
    }
    if (slash == target) {
        return crm_strdup("/");
    }
    {
        size_t n = (size_t)(slash - target);
        char *d = crm_malloc(n + 1);
        if (d != NULL) {
            memcpy(d, target, n);
            d[n] = '\0';
        }
        return d;
    }
}

crm_status crm_outfile_check(const char *path, crm_error *err)
{
    struct stat st;
    bool via_proc = false;
    char *target;
    char *dir;
    const char *base;
    int e = 0;
    if (path == NULL || path[0] == '\0') {
        return crm__error_set(err, CRM_EINVAL, "output path is empty");
    }
    if (strcmp(path, "-") == 0) {
        return CRM_OK;
    }
    if (crm_table_source_is_database(path)) {
        return crm_table_target_check(path, err);
    }
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            return fail_errno(err, EISDIR, path, "cannot create output file");
        }
        if (!S_ISREG(st.st_mode)) {
            return access(path, W_OK) == 0
                       ? CRM_OK
                       : fail_errno(err, errno, path, "cannot open output file");
        }
    }
    target = follow_links(path, &via_proc);
    if (target == NULL) {
        return errno == ENOMEM ? crm__error_nomem(err)
                               : fail_errno(err, errno, path, "cannot create output file");
    }
    if (via_proc) {
        crm_free(target);
        return CRM_OK;
    }
    base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
    dir = parent_dir(target);
    if (dir == NULL) {
        crm_free(target);
        return crm__error_nomem(err);
    }
    if (strlen(base) > NAME_MAX) {
        e = ENAMETOOLONG;
    } else if (stat(dir, &st) != 0) {
        e = errno;
    } else if (!S_ISDIR(st.st_mode)) {
        e = ENOTDIR;
    } else if (access(dir, W_OK | X_OK) != 0) {
        e = errno;
    }
    crm_free(dir);
    crm_free(target);
    return e ? fail_errno(err, e, path, "cannot create output file") : CRM_OK;
}

/* A name for where path is or would be: its folder through realpath, its last component
 * with symbolic links followed. NULL when the folder does not exist. */
static char *canonical(const char *path)
{
    bool via_proc = false;
    char *target = follow_links(path, &via_proc);
    char *dir;
    char *real;
    char *out = NULL;
    const char *base;
    if (target == NULL) {
        return NULL;
    }
    base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
    dir = parent_dir(target);
    real = dir ? realpath(dir, NULL) : NULL;
    if (real != NULL) {
        out = join_dir(real, strlen(real), base);
    }
    free(real); /* from realpath: the C library's allocator */
    crm_free(dir);
    crm_free(target);
    return out;
}

int crm_outfile_same(const char *a, const char *b)
{
    struct stat sa;
    struct stat sb;
    bool has_a;
    bool has_b;
    char *ca;
    char *cb;
    int same;
    if (a == NULL || b == NULL || strcmp(a, "-") == 0 || strcmp(b, "-") == 0) {
        return 0;
    }
    if (crm_table_source_is_database(a) || crm_table_source_is_database(b)) {
        return crm_table_same(a, b);
    }
    has_a = stat(a, &sa) == 0;
    has_b = stat(b, &sb) == 0;
    if (has_a && has_b) {
        /* two names of one device (say /dev/null twice) may well be written twice */
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino && S_ISREG(sa.st_mode);
    }
    if (has_a != has_b) {
        return 0;
    }
    ca = canonical(a);
    cb = canonical(b);
    same = ca != NULL && cb != NULL && strcmp(ca, cb) == 0;
    crm_free(ca);
    crm_free(cb);
    return same;
}
