/* placeholder: being written */
typedef int bf_placeholder_diag_t;
