/* placeholder: being written */
typedef int bf_placeholder_log_t;
