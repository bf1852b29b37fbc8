/* placeholder: being written */
typedef int bf_placeholder_skeleton_t;
