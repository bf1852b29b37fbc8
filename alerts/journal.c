/* placeholder: being written */
typedef int bf_placeholder_journal_t;
