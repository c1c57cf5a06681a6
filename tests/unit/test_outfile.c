/* test_outfile.c: what an output replaces and what it must not: devices, FIFOs and sockets
 * are written in place, symbolic links keep pointing at their replaced target, modes are
 * kept or follow the umask, long names work, sets commit whole, inputs are never outputs. */
#define _DEFAULT_SOURCE /* mknod, makedev */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <crmkit/outfile.h>

#include "crm_test.h"

static char *dir;

static int setup(void **state)
{
    (void)state;
    dir = crm_test_tmpdir();
    return dir == NULL;
}

static int teardown(void **state)
{
    (void)state;
    crm_test_rmdir(dir);
    free(dir);
    return 0;
}

static const char *at(const char *name)
{
    static char buf[4][PATH_MAX];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, PATH_MAX, "%s/%s", dir, name);
    return b;
}

static void write_text(const char *path, const char *text, crm_status want)
{
    crm_outfile *f = NULL;
    crm_error err;
    assert_int_equal(crm_outfile_open(path, &f, &err), CRM_OK);
    fputs(text, crm_outfile_stream(f));
    assert_int_equal(crm_outfile_commit(f, &err), want);
}

/* Nothing but the named entries is left in the folder (no temporary file). */
static int n_entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

static void char_device_is_written_not_replaced(void **state)
{
    const char *dev = at("null");
    struct stat st;
    (void)state;
    if (geteuid() != 0) {
        print_message("skipped: making a character device with mknod needs root\n");
        skip();
    }
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        print_message("skipped: mknod refused here (%s)\n", strerror(errno));
        skip();
    }
    write_text(dev, "into the void\n", CRM_OK);
    assert_int_equal(lstat(dev, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(major(st.st_rdev), 1);
    assert_int_equal(minor(st.st_rdev), 3);
    assert_int_equal(n_entries(), 1);
    assert_int_equal(crm_outfile_check(dev, NULL), CRM_OK);
    unlink(dev);
}

static void fifo_is_written_in_place(void **state)
{
    const char *fifo = at("pipe");
    struct stat st;
    char buf[64] = { 0 };
    pid_t pid;
    int fd;
    int status;
    (void)state;
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        write_text(fifo, "through the pipe\n", CRM_OK);
        _exit(0);
    }
    fd = open(fifo, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, buf, sizeof buf - 1), 17);
    close(fd);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_string_equal(buf, "through the pipe\n");
    assert_int_equal(lstat(fifo, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(n_entries(), 1);
    unlink(fifo);
}

static void socket_is_written_in_place(void **state)
{
    const char *path = at("sock");
    struct sockaddr_un sa;
    struct stat st;
    char buf[64] = { 0 };
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    int conn;
    (void)state;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        print_message("skipped: temporary folder name too long for a socket\n");
        skip();
    }
    strcpy(sa.sun_path, path);
    assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(srv, 1), 0);
    write_text(path, "to a socket\n", CRM_OK); /* the connection waits in the backlog */
    conn = accept(srv, NULL, NULL);
    assert_true(conn >= 0);
    assert_int_equal(read(conn, buf, sizeof buf - 1), 12);
    assert_string_equal(buf, "to a socket\n");
    close(conn);
    close(srv);
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    unlink(path);
}

static void symlink_target_is_replaced_and_link_kept(void **state)
{
    char target[PATH_MAX];
    char buf[PATH_MAX];
    struct stat st;
    char *text;
    ssize_t n;
    (void)state;
    snprintf(target, sizeof target, "%s", at("target.csv"));
    assert_int_equal(crm_test_write_file(target, "old\n"), 0);
    assert_int_equal(symlink("target.csv", at("link.csv")), 0);
    write_text(at("link.csv"), "new\n", CRM_OK);
    assert_int_equal(lstat(at("link.csv"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    n = readlink(at("link.csv"), buf, sizeof buf - 1);
    assert_int_equal(n, 10);
    buf[n] = '\0';
    assert_string_equal(buf, "target.csv");
    text = crm_test_read_file(target, NULL);
    assert_string_equal(text, "new\n");
    free(text);
    /* a dangling link: its target is created */
    assert_int_equal(symlink("later.csv", at("dangling.csv")), 0);
    write_text(at("dangling.csv"), "made\n", CRM_OK);
    assert_int_equal(lstat(at("dangling.csv"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    text = crm_test_read_file(at("later.csv"), NULL);
    assert_string_equal(text, "made\n");
    free(text);
    assert_int_equal(n_entries(), 4);
    unlink(target);
    unlink(at("link.csv"));
    unlink(at("dangling.csv"));
    unlink(at("later.csv"));
}

static void modes_are_kept_and_new_files_follow_the_umask(void **state)
{
    struct stat st;
    mode_t old;
    (void)state;
    assert_int_equal(crm_test_write_file(at("secret.csv"), "x\n"), 0);
    assert_int_equal(chmod(at("secret.csv"), 0600), 0);
    write_text(at("secret.csv"), "y\n", CRM_OK);
    assert_int_equal(stat(at("secret.csv"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(chmod(at("secret.csv"), 0640), 0);
    write_text(at("secret.csv"), "z\n", CRM_OK);
    assert_int_equal(stat(at("secret.csv"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);

    old = umask(077);
    write_text(at("new077.csv"), "a\n", CRM_OK);
    (void)umask(022);
    write_text(at("new022.csv"), "b\n", CRM_OK);
    (void)umask(002);
    write_text(at("new002.csv"), "c\n", CRM_OK);
    (void)umask(old);
    assert_int_equal(stat(at("new077.csv"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(at("new022.csv"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(stat(at("new002.csv"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0664);
    unlink(at("secret.csv"));
    unlink(at("new077.csv"));
    unlink(at("new022.csv"));
    unlink(at("new002.csv"));
}

static void names_at_name_max_work(void **state)
{
    char name[NAME_MAX + 2];
    crm_error err;
    char *text;
    (void)state;
    memset(name, 'n', NAME_MAX);
    name[NAME_MAX] = '\0';
    write_text(at(name), "long\n", CRM_OK);
    text = crm_test_read_file(at(name), NULL);
    assert_string_equal(text, "long\n");
    free(text);
    write_text(at(name), "again\n", CRM_OK);
    assert_int_equal(n_entries(), 1);
    unlink(at(name));
    name[NAME_MAX] = 'n';
    name[NAME_MAX + 1] = '\0';
    assert_int_equal(crm_outfile_check(at(name), &err), CRM_EIO);
    assert_non_null(strstr(err.msg, "too long"));
}

static void sets_commit_both_or_neither(void **state)
{
    crm_outfile *a = NULL;
    crm_outfile *b = NULL;
    crm_error err;
    char *text;
    (void)state;
    assert_int_equal(crm_test_write_file(at("model"), "old model\n"), 0);
    crm_outfile_set_begin();
    write_text(at("model"), "new model\n", CRM_OK);
    /* held back: the old model is still there until the set ends */
    text = crm_test_read_file(at("model"), NULL);
    assert_string_equal(text, "old model\n");
    free(text);
    assert_int_equal(crm_outfile_open(at("labels"), &b, &err), CRM_OK);
    fputs("partial", crm_outfile_stream(b));
    crm_outfile_abort(b);
    (void)crm_outfile_set_end(0, NULL);
    text = crm_test_read_file(at("model"), NULL);
    assert_string_equal(text, "old model\n");
    free(text);
    assert_int_equal(n_entries(), 1);

    crm_outfile_set_begin();
    assert_int_equal(crm_outfile_open(at("model"), &a, &err), CRM_OK);
    assert_int_equal(crm_outfile_open(at("labels"), &b, &err), CRM_OK);
    fputs("new model\n", crm_outfile_stream(a));
    fputs("labels\n", crm_outfile_stream(b));
    assert_int_equal(crm_outfile_commit(a, &err), CRM_OK);
    assert_int_equal(crm_outfile_commit(b, &err), CRM_OK);
    assert_int_equal(n_entries(), 3); /* model and two temporary files */
    assert_int_equal(crm_outfile_set_end(1, &err), CRM_OK);
    text = crm_test_read_file(at("model"), NULL);
    assert_string_equal(text, "new model\n");
    free(text);
    text = crm_test_read_file(at("labels"), NULL);
    assert_string_equal(text, "labels\n");
    free(text);
    assert_int_equal(n_entries(), 2);
    unlink(at("model"));
    unlink(at("labels"));
}

static void same_file_is_found_through_links_and_new_names(void **state)
{
    char rel[PATH_MAX];
    char cwd[PATH_MAX];
    (void)state;
    assert_int_equal(crm_test_write_file(at("in.csv"), "a\n1\n"), 0);
    assert_int_equal(symlink("in.csv", at("alias.csv")), 0);
    assert_int_equal(link(at("in.csv"), at("hard.csv")), 0);
    assert_true(crm_outfile_same(at("in.csv"), at("in.csv")));
    assert_true(crm_outfile_same(at("alias.csv"), at("in.csv")));
    assert_true(crm_outfile_same(at("hard.csv"), at("in.csv")));
    assert_false(crm_outfile_same(at("in.csv"), at("other.csv")));
    /* two spellings of one new path */
    snprintf(rel, sizeof rel, "%s/./new.csv", dir);
    assert_true(crm_outfile_same(at("new.csv"), rel));
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_true(crm_outfile_same("new.csv", at("new.csv")));
    assert_int_equal(chdir(cwd), 0);
    assert_false(crm_outfile_same(at("new.csv"), at("new2.csv")));
    assert_false(crm_outfile_same("-", "-"));
    /* one FIFO (or device) under two names may be written twice: never "the same file" */
    assert_int_equal(mkfifo(at("fifo"), 0600), 0);
    assert_false(crm_outfile_same(at("fifo"), at("fifo")));
    unlink(at("fifo"));
    unlink(at("in.csv"));
    unlink(at("alias.csv"));
    unlink(at("hard.csv"));
}

static void check_finds_bad_folders_before_the_work(void **state)
{
    crm_error err;
    (void)state;
    assert_int_equal(crm_outfile_check(at("fine.csv"), &err), CRM_OK);
    assert_int_equal(crm_outfile_check("-", &err), CRM_OK);
    assert_int_equal(crm_outfile_check(at("no/such/x.csv"), &err), CRM_EIO);
    assert_non_null(strstr(err.source, "no/such/x.csv"));
    assert_int_equal(crm_outfile_check(dir, &err), CRM_EIO);
    assert_non_null(strstr(err.msg, "directory"));
    assert_int_equal(crm_outfile_open(dir, &(crm_outfile *){ NULL }, &err), CRM_EIO);
    assert_int_equal(crm_test_write_file(at("plain"), "x"), 0);
    assert_int_equal(crm_outfile_check(at("plain/x.csv"), &err), CRM_EIO);
    unlink(at("plain"));
    assert_int_equal(n_entries(), 0);
}

static void remove_temporaries_deletes_files_in_progress(void **state)
{
    crm_outfile *a = NULL;
    crm_outfile *b = NULL;
    crm_error err;
    (void)state;
    assert_int_equal(crm_outfile_open(at("one.csv"), &a, &err), CRM_OK);
    assert_int_equal(crm_outfile_open(at("two.csv"), &b, &err), CRM_OK);
    fputs("partial", crm_outfile_stream(a));
    fflush(crm_outfile_stream(a));
    assert_int_equal(n_entries(), 2);
    crm_outfile_remove_temporaries();
    assert_int_equal(n_entries(), 0);
    crm_outfile_abort(a);
    crm_outfile_abort(b);
    assert_int_equal(n_entries(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(char_device_is_written_not_replaced),
        cmocka_unit_test(fifo_is_written_in_place),
        cmocka_unit_test(socket_is_written_in_place),
        cmocka_unit_test(symlink_target_is_replaced_and_link_kept),
        cmocka_unit_test(modes_are_kept_and_new_files_follow_the_umask),
        cmocka_unit_test(names_at_name_max_work),
        cmocka_unit_test(sets_commit_both_or_neither),
        cmocka_unit_test(same_file_is_found_through_links_and_new_names),
        cmocka_unit_test(check_finds_bad_folders_before_the_work),
        cmocka_unit_test(remove_temporaries_deletes_files_in_progress),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
