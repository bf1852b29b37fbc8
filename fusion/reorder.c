/* placeholder: being written */
typedef int bf_placeholder_reorder_t;
