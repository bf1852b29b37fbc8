/* placeholder: being written */
typedef int bf_placeholder_error_t;
