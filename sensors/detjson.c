/* placeholder: being written */
typedef int bf_placeholder_detjson_t;
