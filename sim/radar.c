/* placeholder: being written */
typedef int bf_placeholder_radar_t;
