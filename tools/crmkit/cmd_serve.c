/* cmd_serve.c: `crmkit serve`: serve model files over HTTP (Acumos protobuf and JSON, MLflow
 * /invocations, crmkit /v1, customer lookup) until SIGTERM; SIGHUP reloads the models. */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <crmkit/serve.h>

#include "segcli.h"

#define CMD "serve"

#ifndef CRM_WEB_DIR
#define CRM_WEB_DIR "/usr/local/share/crmkit/web"
#endif

static void usage(FILE *fp)
{
    fprintf(
        fp,
        "usage: crmkit serve --model MODEL [--model NAME=FILE ...] [--rules RULES.crmr]\n"
        "       [--store STORE.db] [--port 3330] [--host 127.0.0.1] [--threads N]\n"
        "       [--max-body BYTES] [--timeout S] [--admin-token-file F]\n"
        "       [--access-log F] [--web-dir DIR]\n\n"
        "Serve crmkit models over HTTP until SIGTERM or SIGINT (requests in flight finish\n"
        "first); SIGHUP or POST /admin/reload reloads every model file, keeping the old\n"
        "model where the new file is bad. The first model is the default of the Acumos\n"
        "routes; name others with ?model=NAME or the /models/NAME/ prefix.\n\n"
        "routes:\n"
        "  POST /model/methods/classify  Acumos: protobuf or JSON (Content-Type, Accept)\n"
        "  POST /classify                Acumos 2018 runner: protobuf in, protobuf out (201)\n"
        "  GET  /model/artifacts/protobuf, /model/artifacts/metadata\n"
        "  POST /invocations             MLflow: dataframe_split, dataframe_records,\n"
        "                                instances, or text/csv\n"
        "  POST /v1/segment, /v1/predict, /v1/recommend   {\"rows\":[{...}, ...]}\n"
        "  GET  /v1/customers/{id}, /v1/segments/{id}/customers?offset=&limit=&sort=&filter=\n"
        "  GET  /v1/models, /healthz, /readyz, /metrics; POST /admin/reload\n"
        "  ?scaled=1 on a scoring route takes inputs already scaled by the model's cleaning.\n\n"
        "options:\n"
        "  --model [NAME=]FILE     model file (segmentation, classifier or rules); repeat\n"
        "                          for several (name defaults to the file's base name)\n"
        "  --rules FILE            rules file, served as the model \"rules\"\n"
        "  --store FILE            customer store made by crmkit load\n"
        "  --port N                TCP port (default 3330; 0 = any free port, printed)\n"
        "  --host ADDR             address to listen on (default 127.0.0.1; 0.0.0.0 = all)\n"
        "  --threads N             worker threads (default: number of CPUs)\n"
        "  --max-body BYTES        largest request body (default 67108864); larger: 413\n"
        "  --timeout S             idle or slow connection timeout (default 30)\n"
        "  --admin-token-file F    bearer token for /admin routes (else the environment\n"
        "                          variable CRMKIT_ADMIN_TOKEN; neither: admin disabled)\n"
        "  --access-log F          append one line per request to F\n"
        "  --web-dir DIR           static files served under / (default %s)\n"
        "  --load-delay MS         listen MS milliseconds before loading the models\n"
        "                          (/readyz answers 503 meanwhile; for probes and tests)\n"
        "  -h, --help              this text\n\n"
        "exit status: 0 stopped by a signal, 64 bad option, 65 bad model, 66 missing\n"
        "model, 69 built without the server, 71 cannot listen.\n",
        CRM_WEB_DIR);
}

static int read_token(const char *path, char *buf, size_t size)
{
    FILE *fp = fopen(path, "r");
    size_t n;
    if (fp == NULL) {
        fprintf(stderr, "crmkit " CMD ": %s: cannot open the admin token file: %s\n", path,
                strerror(errno));
        return CLI_EX_NOINPUT;
    }
    n = fread(buf, 1, size - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) {
        buf[--n] = '\0';
    }
    if (n < 8) {
        fprintf(stderr, "crmkit " CMD ": %s: the admin token must have at least 8 characters\n",
                path);
        return CLI_EX_DATAERR;
    }
    return CLI_EX_OK;
}

static int add_model(crm_server_params *p, char *spec, const char *fixed_name)
{
    char *eq = fixed_name ? NULL : strchr(spec, '=');
    if (p->n_models >= CRM_SERVER_MAX_MODELS) {
        return cli_usage_error(CMD, "at most %d models", CRM_SERVER_MAX_MODELS);
    }
    if (eq != NULL && eq != spec) {
        *eq = '\0';
        p->model_names[p->n_models] = spec;
        p->model_paths[p->n_models] = eq + 1;
    } else {
        p->model_names[p->n_models] = fixed_name;
        p->model_paths[p->n_models] = spec;
    }
    if (p->model_paths[p->n_models][0] == '\0') {
        return cli_usage_error(CMD, "--model needs a file");
    }
    p->n_models++;
    return CLI_EX_OK;
}

static int serve_exit(const crm_error *err)
{
    if (err->code == CRM_EIO && strcmp(err->field, "port") == 0) {
        fprintf(stderr, "crmkit " CMD ": %s\n", err->msg);
        return CLI_EX_OSERR;
    }
    return cli_fail(err);
}

static int run(const crm_server_params *p, int64_t load_delay_ms)
{
    crm_server *s = NULL;
    crm_error err;
    sigset_t set;
    int code = CLI_EX_OK;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    /* Blocked before the server's threads start, so they inherit the mask and only sigwait
     * below sees these signals. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
#ifdef __GLIBC__
    /* Batches allocate megabytes per request: keep freed memory in the heap rather than
     * returning it to the kernel and faulting it in again on the next request. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
    if (crm_server_new(p, &s, &err) != CRM_OK) {
        return cli_fail(&err);
    }
    if (crm_server_start(s, &err) != CRM_OK) {
        crm_server_free(s);
        return serve_exit(&err);
    }
    printf("crmkit serve: listening on http://%s:%d/\n", p->host, (int)crm_server_port(s));
    fflush(stdout);
    if (load_delay_ms > 0) {
        struct timespec ts = { (time_t)(load_delay_ms / 1000),
                               (long)(load_delay_ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
    if (crm_server_load(s, &err) != CRM_OK) {
        code = cli_fail(&err);
        crm_server_free(s);
        return code;
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) {
            continue;
        }
        if (sig == SIGHUP) {
            int32_t failed = 0;
            (void)crm_server_reload(s, &failed, NULL, &err);
            continue;
        }
        break;
    }
    crm_server_free(s); /* drains requests in flight */
    return code;
}

static int opt_model(const char *v, void *ud)
{
    int code = add_model(ud, (char *)v, NULL);
    return code == CLI_EX_OK ? -1 : code;
}

static int opt_rules(const char *v, void *ud)
{
    int code = add_model(ud, (char *)v, "rules");
    return code == CLI_EX_OK ? -1 : code;
}

int cmd_serve(int argc, char **argv)
{
    crm_server_params p = crm_server_params_default();
    static char token[4096];
    const char *token_file = NULL;
    int64_t load_delay_ms = 0;
    const char *env;
    int code;
    p.web_dir = CRM_WEB_DIR;
    {
        const char *pos[1];
        int n_pos = 0;
        /* clang-format off */
        const cli_opt opts[] = {
            { .name = "--model", .kind = CLI_OPT_FN, .fn = opt_model, .ud = &p },
            { .name = "--rules", .kind = CLI_OPT_FN, .fn = opt_rules, .ud = &p },
            { .name = "--store", .kind = CLI_OPT_STR, .dest = &p.store },
            { .name = "--host", .kind = CLI_OPT_STR, .dest = &p.host },
            { .name = "--port", .kind = CLI_OPT_INT32, .dest = &p.port, .lo = 0, .hi = 65535 },
            { .name = "--threads", .kind = CLI_OPT_INT32, .dest = &p.n_threads, .lo = 1,
              .hi = 1024 },
            { .name = "--max-body", .kind = CLI_OPT_INT, .dest = &p.max_body_bytes, .lo = 1,
              .hi = INT64_MAX / 2 },
            { .name = "--timeout", .kind = CLI_OPT_INT32, .dest = &p.timeout_s, .lo = 1,
              .hi = 86400 },
            { .name = "--admin-token-file", .kind = CLI_OPT_STR, .dest = &token_file },
            { .name = "--access-log", .kind = CLI_OPT_STR, .dest = &p.access_log },
            { .name = "--web-dir", .kind = CLI_OPT_STR, .dest = &p.web_dir },
            { .name = "--load-delay", .kind = CLI_OPT_INT, .dest = &load_delay_ms, .lo = 0,
              .hi = 3600000 },
            { 0 },
        };
        /* clang-format on */
        code = cli_parse(CMD, argc, argv, opts, pos, 0, &n_pos, usage);
        if (code >= 0) {
            return code;
        }
    }
    if (p.n_models == 0) {
        return cli_usage_error(CMD, "at least one --model FILE is needed");
    }
    if (token_file != NULL) {
        if ((code = read_token(token_file, token, sizeof token)) != CLI_EX_OK) {
            return code;
        }
        p.admin_token = token;
    } else if ((env = getenv("CRMKIT_ADMIN_TOKEN")) != NULL && *env != '\0') {
        p.admin_token = env;
    }
    return run(&p, load_delay_ms);
}
