/* placeholder: being written */
typedef int bf_placeholder_registry_t;
