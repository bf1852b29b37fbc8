/* placeholder: being written */
typedef int bf_placeholder_tracker_t;
