/* placeholder: being written */
typedef int bf_placeholder_track_t;
