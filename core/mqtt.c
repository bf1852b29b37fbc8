/* placeholder: being written */
typedef int bf_placeholder_mqtt_t;
