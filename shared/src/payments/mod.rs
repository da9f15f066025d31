//! Gap 2: failed-payment recovery — the parent-facing failure reason and the single-use retry
//! link (`GET /payments/retry?token=`).
pub mod failure;
pub mod retry;
pub mod store;

/// `payment-retry`: `GET /payments/retry?token=` (public).
pub static RETRY: crate::runtime::function::Function = crate::runtime::function::Function {
    name: retry::FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[crate::runtime::function::Route {
            method: "GET",
            path: "/payments/retry",
        }],
        handler: |ctx, req| Box::pin(retry::handle(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::RAZORPAY_KEY_ID,
    ],
};
