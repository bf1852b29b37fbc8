/* placeholder: being written */
typedef int bf_placeholder_assign_t;
