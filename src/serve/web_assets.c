/* web_assets.c: the dashboard embedded with the assembler's .incbin (no generated C arrays:
 * the bundle is 600 kB and an array initialiser of that size slows every build): the built
 * script from web/dist, the page and its style sheet straight from web/src. CRM_WEB_DIST and
 * CRM_WEB_SRC are the absolute paths of those folders, set by CMakeLists.txt, which also makes
 * this file depend on the three files so a rebuilt bundle is picked up. */
#include "serve/web_assets.h"

#include <string.h>

#if defined(CRM_WEB_DIST) && defined(CRM_WEB_SRC) && defined(__ELF__)
#define CRM_INCBIN(sym, dir, file)                                                                 \
    __asm__(".pushsection .rodata\n"                                                               \
            ".balign 16\n"                                                                         \
            ".globl " #sym "_start\n"                                                              \
            ".hidden " #sym "_start\n" #sym "_start:\n"                                            \
            ".incbin \"" dir "/" file "\"\n"                                                       \
            ".globl " #sym "_end\n"                                                                \
            ".hidden " #sym "_end\n" #sym "_end:\n"                                                \
            ".byte 0\n"                                                                            \
            ".popsection\n");                                                                      \
    extern const unsigned char sym##_start[], sym##_end[]

CRM_INCBIN(crm__web_index, CRM_WEB_SRC, "index.html");
CRM_INCBIN(crm__web_app, CRM_WEB_DIST, "app.js");
CRM_INCBIN(crm__web_style, CRM_WEB_SRC, "style.css");

int crm__web_asset_find(const char *path, crm__web_asset *out)
{
    static const char *const paths[3] = { "/", "/app.js", "/style.css" };
    static const char *const types[3] = { "text/html; charset=utf-8",
                                          "text/javascript; charset=utf-8",
                                          "text/css; charset=utf-8" };
    const unsigned char *starts[3] = { crm__web_index_start, crm__web_app_start,
                                       crm__web_style_start };
    const unsigned char *ends[3] = { crm__web_index_end, crm__web_app_end, crm__web_style_end };
    if (strcmp(path, "/index.html") == 0) {
        path = "/";
    }
    for (int i = 0; i < 3; i++) {
        if (strcmp(path, paths[i]) == 0) {
            *out = (crm__web_asset){ paths[i], types[i], starts[i], (size_t)(ends[i] - starts[i]) };
            return 1;
        }
    }
    return 0;
}
#else
int crm__web_asset_find(const char *path, crm__web_asset *out)
{
    (void)path;
    (void)out;
    return 0;
}
#endif
