/* placeholder: being written */
typedef int bf_placeholder_json_t;
