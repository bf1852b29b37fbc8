/* placeholder: being written */
typedef int bf_placeholder_zones_t;
