/* placeholder: being written */
typedef int bf_placeholder_rules_t;
