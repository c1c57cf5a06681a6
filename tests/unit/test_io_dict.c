/* test_io_dict.c: the level dictionary of text columns after crm__dict_seal (index dropped,
 * spare capacity given back): texts by code unchanged, find by scanning, intern builds the
 * index again and neither duplicates a level nor loses one. */
#include <stdio.h>
#include <string.h>

#include "crm_test.h"
#include "io/io_internal.h"

static void dict_seal_keeps_levels_and_interns_again(void **state)
{
    crm__dict d;
    char buf[32];
    int32_t code = -1;
    (void)state;
    crm__dict_init(&d);
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "S%07d", i);
        assert_int_equal(crm__dict_intern(&d, buf, strlen(buf), &code), CRM_OK);
        assert_int_equal(code, i);
    }
    assert_int_equal(crm__dict_intern(&d, "", 0, &code), CRM_OK); /* an empty text too */
    assert_int_equal(code, 1000);
    crm__dict_seal(&d);
    assert_int_equal(d.n_slots, 0);
    assert_null(d.slots);
    assert_int_equal(d.cap, 1001);
    assert_int_equal(d.arena_cap, d.arena_len);
    assert_int_equal(d.n, 1001);
    assert_string_equal(crm__dict_text(&d, 0), "S0000000");
    assert_string_equal(crm__dict_text(&d, 999), "S0000999");
    assert_string_equal(crm__dict_text(&d, 1000), "");
    assert_int_equal(crm__dict_find(&d, "S0000500", 8), 500);
    assert_int_equal(crm__dict_find(&d, "", 0), 1000);
    assert_int_equal(crm__dict_find(&d, "S0000500x", 9), -1);
    /* interning again: old texts keep their codes, a new one takes the next */
    assert_int_equal(crm__dict_intern(&d, "S0000777", 8, &code), CRM_OK);
    assert_int_equal(code, 777);
    assert_int_equal(crm__dict_intern(&d, "new", 3, &code), CRM_OK);
    assert_int_equal(code, 1001);
    assert_int_equal(crm__dict_intern(&d, "", 0, &code), CRM_OK);
    assert_int_equal(code, 1000);
    assert_int_equal(d.n, 1002);
    assert_int_equal(crm__dict_find(&d, "new", 3), 1001);
    crm__dict_fini(&d);
    /* sealing an empty dict is harmless */
    crm__dict_init(&d);
    crm__dict_seal(&d);
    assert_int_equal(crm__dict_find(&d, "a", 1), -1);
    assert_int_equal(crm__dict_intern(&d, "a", 1, &code), CRM_OK);
    assert_int_equal(code, 0);
    crm__dict_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dict_seal_keeps_levels_and_interns_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
