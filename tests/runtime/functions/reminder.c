/* reminder.c — every cart event schedules a check 30 minutes later (event time); a check that
 * finds no newer event egresses an `abandoned` record. */
#include "pipec_functions.h"

int reminder_on_event(reminder_ctx *c, const reminder_event *e)
{
    int64_t n = reminder_get_events(c) + 1;
    reminder_set_events(c, n);
    reminder_set_last(c, e->time);
    reminder_check m = { .seen = n };
    reminder_send_reminder_check_after(c, 30 * 60 * 1000, reminder_key(c), &m);
    return 0;
}

int reminder_on_check(reminder_ctx *c, const reminder_check *m)
{
    if (m->seen != reminder_get_events(c))
        return 0; /* the cart moved since */
    abandoned a = { .cart_id = reminder_key(c), .events = m->seen, .since = reminder_get_last(c) };
    reminder_egress(c, &a);
    return 0;
}
