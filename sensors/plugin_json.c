/* placeholder: being written */
typedef int bf_placeholder_plugin_json_t;
