/* placeholder: being written */
typedef int bf_placeholder_detection_t;
