/* placeholder: being written */
typedef int bf_placeholder_score_t;
