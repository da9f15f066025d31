//! Gap 2: failed-payment recovery — the parent-facing failure reason and the single-use retry
//! link (`GET /payments/retry?token=`).
pub mod capture_time;
pub mod failure;
pub mod handler;
pub mod retry_link;
pub mod service;
pub mod store;

/// `payment-retry`: `GET /payments/retry?token=` (public).
pub static RETRY: crate::runtime::function::Function = crate::runtime::function::Function {
    name: handler::FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[crate::runtime::function::Route {
            method: "GET",
            path: "/payments/retry",
        }],
        handler: |ctx, req| Box::pin(handler::handle(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::RAZORPAY_KEY_ID,
    ],
};
