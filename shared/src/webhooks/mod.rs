//! Gap 1.4 and 2: Razorpay webhooks. Verified over the raw bytes before anything is parsed,
//! recorded once per event id in the same transaction as their effect, applied forward only.
pub mod handler;
pub mod signature;
pub mod store;

/// `payment-webhook`: `POST /webhooks/razorpay`.
pub static PAYMENT_WEBHOOK: crate::function::Function = crate::function::Function {
    name: handler::FUNCTION,
    trigger: crate::function::Trigger::Http {
        routes: &[crate::function::Route {
            method: "POST",
            path: "/webhooks/razorpay",
        }],
        handler: |ctx, req| Box::pin(handler::handle(ctx, req)),
    },
    needs: &[
        &crate::needs::DATABASE,
        &crate::needs::RAZORPAY_WEBHOOK,
        &crate::needs::RETRY_LINKS,
        &crate::needs::NOTIFICATIONS_QUEUE,
        &crate::needs::RAZORPAY_OPTIONAL,
    ],
};
