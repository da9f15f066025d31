//! Gap 1: prorated refunds. A refund is a forward-only state machine (pending → processing →
//! completed | failed) driven by the initiate handler, the sync cron and Razorpay's webhooks.
pub mod attempt;
pub mod calculator;
pub mod handler;
pub mod refund_request;
pub mod refund_status;
pub mod retry;
pub mod service;
pub mod store;
pub mod sync;

/// `refund-initiate`: `POST /admin/refunds`.
pub static INITIATE: crate::runtime::function::Function = crate::runtime::function::Function {
    name: handler::FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[crate::runtime::function::Route {
            method: "POST",
            path: "/admin/refunds",
        }],
        handler: |ctx, req| Box::pin(handler::handle(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::JWT,
        &crate::runtime::needs::RAZORPAY,
        &crate::runtime::needs::NOTIFICATIONS_QUEUE,
        &crate::runtime::needs::REFUND_SETTINGS,
    ],
};

/// `refund-retry`: `POST /admin/refunds/{terminationId}/retry`.
pub static RETRY: crate::runtime::function::Function = crate::runtime::function::Function {
    name: retry::FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[crate::runtime::function::Route {
            method: "POST",
            path: "/admin/refunds/{terminationId}/retry",
        }],
        handler: |ctx, req| Box::pin(retry::handle(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::JWT,
        &crate::runtime::needs::RAZORPAY,
        &crate::runtime::needs::NOTIFICATIONS_QUEUE,
    ],
};

/// `refund-sync-cron`: every 15 minutes, settles refunds whose answer never came.
pub static SYNC: crate::runtime::function::Function = crate::runtime::function::Function {
    name: sync::FUNCTION,
    trigger: crate::runtime::function::Trigger::Schedule {
        expression: "rate(15 minutes)",
        timezone: None,
        input: r#"{"source":"refund-sync-cron"}"#,
        handler: |ctx, _event| {
            Box::pin(async move { crate::runtime::function::to_json(sync::run_once(ctx).await) })
        },
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::RAZORPAY,
        &crate::runtime::needs::NOTIFICATIONS_QUEUE,
        &crate::runtime::needs::REFUND_SETTINGS,
    ],
};
