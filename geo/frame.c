/* placeholder: being written */
typedef int bf_placeholder_frame_t;
