/* placeholder: being written */
typedef int bf_placeholder_alert_t;
