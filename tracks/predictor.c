/* placeholder: being written */
typedef int bf_placeholder_predictor_t;
