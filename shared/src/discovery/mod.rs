//! Gap 5: Cal.com discovery calls, linked to the child they are about. The linking rule is SQL
//! (migration 0008: the backfill, the `children` trigger and this module use the same one); the
//! order rule for Cal.com's events is `booking.rs`.
pub mod booking;
pub mod handler;
pub mod service;
pub mod store;

/// `cal-webhook`: `POST /webhooks/cal`.
pub static CAL_WEBHOOK: crate::runtime::function::Function = crate::runtime::function::Function {
    name: handler::WEBHOOK_FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[crate::runtime::function::Route {
            method: "POST",
            path: "/webhooks/cal",
        }],
        handler: |ctx, req| Box::pin(handler::handle_webhook(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::CAL_WEBHOOK,
    ],
};

/// `discovery-link-report`: `GET /admin/discovery-calls/link-report`.
pub static LINK_REPORT: crate::runtime::function::Function = crate::runtime::function::Function {
    name: handler::REPORT_FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[crate::runtime::function::Route {
            method: "GET",
            path: "/admin/discovery-calls/link-report",
        }],
        handler: |ctx, req| Box::pin(handler::handle_report(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::JWT,
    ],
};
