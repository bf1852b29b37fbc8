/*
 * detection.c - names for the detection data model's enumerations.
 */
#include "core/bf_detection.h"

const char *const bf_class_names[BF_CLASS_COUNT] = {
    [BF_CLASS_PERSON] = "person",   [BF_CLASS_VEHICLE] = "vehicle",
    [BF_CLASS_ANIMAL] = "animal",   [BF_CLASS_VESSEL] = "vessel",
    [BF_CLASS_AIRCRAFT] = "aircraft", [BF_CLASS_UNKNOWN] = "unknown",
};
