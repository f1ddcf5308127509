/* CUnit entry point: each test file registers its suites; the summary is the last output. */
#include <CUnit/Basic.h>
#include <stdio.h>

void register_wire_tests(void);
void register_report_tests(void);
void register_case_tests(void);
void register_ws_tests(void);
void register_origin_tests(void);
void register_json_read_tests(void);
void register_html_tests(void);
void register_util_tests(void);
void register_vars_tests(void);
void register_cli_tests(void);
void register_baseline_tests(void);
void register_client_tests(void);
void register_preflight_tests(void);
void register_loop_tests(void);
void register_fwd_stats_tests(void);
void register_h2_tests(void);
void register_srv_conn_tests(void);
void register_fates_tests(void);

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    register_wire_tests();
    register_report_tests();
    register_case_tests();
    register_ws_tests();
    register_origin_tests();
    register_json_read_tests();
    register_html_tests();
    register_util_tests();
    register_vars_tests();
    register_cli_tests();
    register_baseline_tests();
    register_client_tests();
    register_preflight_tests();
    register_loop_tests();
    register_fwd_stats_tests();
    register_h2_tests();
    register_srv_conn_tests();
    register_fates_tests();
    CU_basic_set_mode(CU_BRM_NORMAL);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run(), tests_failed = CU_get_number_of_tests_failed();
    CU_cleanup_registry(); /* resets the counts: read them before */
    printf("unit: %u passed, %u failed\n", run - tests_failed, tests_failed);
    return failed ? 1 : 0;
}
