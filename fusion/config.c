/* placeholder: being written */
typedef int bf_placeholder_config_t;
