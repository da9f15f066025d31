//! Gap 6: parent self-service rescheduling. Which times a session may move to is
//! `slot_rule.rs`; whether it may move at all is `reschedule_rule.rs`; the Google Calendar
//! gateway is `google.rs`, its queue consumer `calendar_sync.rs`.
pub mod calendar_sync;
pub mod handler;
pub mod reschedule_rule;
pub mod service;
pub mod slot_rule;
pub mod store;
pub mod zone;

/// `available-slots`: `GET /parent/sessions/{sessionId}/available-slots`.
pub static AVAILABLE_SLOTS: crate::runtime::function::Function =
    crate::runtime::function::Function {
        name: handler::SLOTS_FUNCTION,
        trigger: crate::runtime::function::Trigger::Http {
            routes: &[crate::runtime::function::Route {
                method: "GET",
                path: "/parent/sessions/{sessionId}/available-slots",
            }],
            handler: |ctx, req| Box::pin(handler::handle_slots(ctx, req)),
        },
        needs: &[
            &crate::runtime::needs::DATABASE,
            &crate::runtime::needs::JWT,
            &crate::runtime::needs::RESCHEDULE_SETTINGS,
        ],
    };

/// `reschedule`: `POST /parent/sessions/{sessionId}/reschedule`.
pub static RESCHEDULE: crate::runtime::function::Function = crate::runtime::function::Function {
    name: handler::RESCHEDULE_FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[crate::runtime::function::Route {
            method: "POST",
            path: "/parent/sessions/{sessionId}/reschedule",
        }],
        handler: |ctx, req| Box::pin(handler::handle_reschedule(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::JWT,
        &crate::runtime::needs::NOTIFICATIONS_QUEUE,
        &crate::runtime::needs::CALENDAR_QUEUE,
        &crate::runtime::needs::RESCHEDULE_SETTINGS,
    ],
};

/// `calendar-sync`: the consumer of the calendar queue.
pub static CALENDAR_SYNC: crate::runtime::function::Function = crate::runtime::function::Function {
    name: calendar_sync::FUNCTION,
    trigger: crate::runtime::function::Trigger::Queue {
        queue: "CalendarQueue",
        handler: |ctx, event| {
            Box::pin(async move {
                let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(event)?;
                crate::runtime::function::to_json(Ok(calendar_sync::handle_batch(ctx, event).await))
            })
        },
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::GOOGLE_CALENDAR,
    ],
};
