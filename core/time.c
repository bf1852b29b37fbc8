/* placeholder: being written */
typedef int bf_placeholder_time_t;
