/* placeholder: being written */
typedef int bf_placeholder_query_t;
