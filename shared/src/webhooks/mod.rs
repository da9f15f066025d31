//! Gap 1.4 and 2: Razorpay webhooks. Verified over the raw bytes before anything is parsed,
//! recorded once per event id in the same transaction as their effect, applied forward only.
pub mod handler;
pub mod service;

/// `payment-webhook`: `POST /webhooks/razorpay`.
pub static PAYMENT_WEBHOOK: crate::runtime::function::Function =
    crate::runtime::function::Function {
        name: handler::FUNCTION,
        trigger: crate::runtime::function::Trigger::Http {
            routes: &[crate::runtime::function::Route {
                method: "POST",
                path: "/webhooks/razorpay",
            }],
            handler: |ctx, req| Box::pin(handler::handle(ctx, req)),
        },
        needs: &[
            &crate::runtime::needs::DATABASE,
            &crate::runtime::needs::RAZORPAY_WEBHOOK,
            &crate::runtime::needs::RETRY_LINKS,
            &crate::runtime::needs::NOTIFICATIONS_QUEUE,
            &crate::runtime::needs::RAZORPAY_OPTIONAL,
        ],
    };
