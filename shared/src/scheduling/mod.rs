//! Gap 6: parent self-service rescheduling. Which times a session may move to is
//! `slot_rule.rs`; whether it may move at all is `reschedule_rule.rs`; the Google Calendar
//! gateway is `google.rs`, its queue consumer `calendar_sync.rs`.
pub mod calendar_sync;
pub mod google;
pub mod handler;
pub mod reschedule_rule;
pub mod slot_rule;
pub mod store;
pub mod zone;

/// `available-slots`: `GET /parent/sessions/{sessionId}/available-slots`.
pub static AVAILABLE_SLOTS: crate::function::Function = crate::function::Function {
    name: handler::SLOTS_FUNCTION,
    trigger: crate::function::Trigger::Http {
        routes: &[crate::function::Route {
            method: "GET",
            path: "/parent/sessions/{sessionId}/available-slots",
        }],
        handler: |ctx, req| Box::pin(handler::handle_slots(ctx, req)),
    },
    needs: &[
        &crate::needs::DATABASE,
        &crate::needs::JWT,
        &crate::needs::RESCHEDULE_SETTINGS,
    ],
};

/// `reschedule`: `POST /parent/sessions/{sessionId}/reschedule`.
pub static RESCHEDULE: crate::function::Function = crate::function::Function {
    name: handler::RESCHEDULE_FUNCTION,
    trigger: crate::function::Trigger::Http {
        routes: &[crate::function::Route {
            method: "POST",
            path: "/parent/sessions/{sessionId}/reschedule",
        }],
        handler: |ctx, req| Box::pin(handler::handle_reschedule(ctx, req)),
    },
    needs: &[
        &crate::needs::DATABASE,
        &crate::needs::JWT,
        &crate::needs::NOTIFICATIONS_QUEUE,
        &crate::needs::CALENDAR_QUEUE,
        &crate::needs::RESCHEDULE_SETTINGS,
    ],
};

/// `calendar-sync`: the consumer of the calendar queue.
pub static CALENDAR_SYNC: crate::function::Function = crate::function::Function {
    name: calendar_sync::FUNCTION,
    trigger: crate::function::Trigger::Queue {
        queue: "CalendarQueue",
        handler: |ctx, event| {
            Box::pin(async move {
                let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(event)?;
                crate::function::to_json(Ok(calendar_sync::handle_batch(ctx, event).await))
            })
        },
    },
    needs: &[&crate::needs::DATABASE, &crate::needs::GOOGLE_CALENDAR],
};
