/* placeholder: being written */
typedef int bf_placeholder_updater_t;
