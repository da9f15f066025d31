//! Gap 7 and the delivery side of every function: the outbox relay, the SQS dispatcher that
//! honours each parent's preferences, the preferences API, and the message templates.
pub mod dispatch;
pub mod preferences;
pub mod relay;
pub mod rules;
pub mod store;
pub mod templates;

/// `preferences`: `GET`/`PUT /parent/notification-preferences`.
pub static PREFERENCES: crate::runtime::function::Function = crate::runtime::function::Function {
    name: preferences::FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[preferences::GET_PREFERENCES, preferences::PUT_PREFERENCES],
        handler: |ctx, req| Box::pin(preferences::handle(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::JWT,
    ],
};

/// `outbox-relay`: every minute, publishes outbox rows not yet on SQS.
pub static RELAY: crate::runtime::function::Function = crate::runtime::function::Function {
    name: relay::FUNCTION,
    trigger: crate::runtime::function::Trigger::Schedule {
        expression: "rate(1 minute)",
        timezone: None,
        input: r#"{"source":"outbox-relay"}"#,
        handler: |ctx, _event| {
            Box::pin(async move { crate::runtime::function::to_json(relay::run_once(ctx).await) })
        },
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::NOTIFICATIONS_QUEUE,
    ],
};

/// `notification-dispatch`: the SQS consumer of the notifications queue.
pub static DISPATCH: crate::runtime::function::Function = crate::runtime::function::Function {
    name: dispatch::FUNCTION,
    trigger: crate::runtime::function::Trigger::Queue {
        queue: "NotificationsQueue",
        handler: |ctx, event| {
            Box::pin(async move {
                let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(event)?;
                crate::runtime::function::to_json(Ok(dispatch::handle_batch(ctx, event).await))
            })
        },
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::EMAIL,
        &crate::runtime::needs::WHATSAPP,
        &crate::runtime::needs::ADMIN_ALERT_EMAIL,
        &crate::runtime::needs::RETRY_LINKS,
        &crate::runtime::needs::SITE_URL,
    ],
};
