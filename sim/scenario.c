/* placeholder: being written */
typedef int bf_placeholder_scenario_t;
