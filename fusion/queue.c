/* placeholder: being written */
typedef int bf_placeholder_queue_t;
