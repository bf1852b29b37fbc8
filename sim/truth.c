/* placeholder: being written */
typedef int bf_placeholder_truth_t;
