/* placeholder: being written */
typedef int bf_placeholder_engine_t;
