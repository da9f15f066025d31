//! The catalogue of functions: name, trigger, the variables each needs, and the HTTP routes.
//! Lambda binaries, local-api and the template tests all read this one list.
use crate::context::AppContext;
use crate::http::ApiError;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Http,
    Schedule,
    Queue,
    /// Run by hand or once per deploy.
    Manual,
}

#[derive(Debug, Clone, Copy)]
pub struct FunctionSpec {
    pub name: &'static str,
    pub trigger: Trigger,
    pub env: &'static [&'static str],
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    /// API Gateway syntax: `/parent/sessions/{sessionId}/reschedule`.
    pub path: &'static str,
    pub function: &'static str,
}

pub const FUNCTIONS: &[FunctionSpec] = &[
    FunctionSpec {
        name: crate::refunds::handler::FUNCTION,
        trigger: Trigger::Http,
        env: &[
            "DATABASE_URL",
            "SUPABASE_JWT_SECRET",
            "RAZORPAY_KEY_ID",
            "RAZORPAY_KEY_SECRET",
            "NOTIFICATIONS_QUEUE_URL",
        ],
    },
    FunctionSpec {
        name: crate::refunds::sync::FUNCTION,
        trigger: Trigger::Schedule,
        env: &[
            "DATABASE_URL",
            "RAZORPAY_KEY_ID",
            "RAZORPAY_KEY_SECRET",
            "NOTIFICATIONS_QUEUE_URL",
        ],
    },
    FunctionSpec {
        name: crate::webhooks::handler::FUNCTION,
        trigger: Trigger::Http,
        env: &[
            "DATABASE_URL",
            "RAZORPAY_WEBHOOK_SECRET",
            "SITE_URL",
            "NOTIFICATIONS_QUEUE_URL",
        ],
    },
    FunctionSpec {
        name: crate::payments::retry::FUNCTION,
        trigger: Trigger::Http,
        env: &["DATABASE_URL", "RAZORPAY_KEY_ID"],
    },
    FunctionSpec {
        name: crate::notifications::preferences::FUNCTION,
        trigger: Trigger::Http,
        env: &["DATABASE_URL", "SUPABASE_JWT_SECRET"],
    },
    FunctionSpec {
        name: crate::notifications::relay::FUNCTION,
        trigger: Trigger::Schedule,
        env: &["DATABASE_URL", "NOTIFICATIONS_QUEUE_URL"],
    },
    FunctionSpec {
        name: crate::notifications::dispatch::FUNCTION,
        trigger: Trigger::Queue,
        env: &["DATABASE_URL", "EMAIL_FROM", "ADMIN_ALERT_EMAIL"],
    },
    FunctionSpec {
        name: crate::dashboard::handler::LIST_FUNCTION,
        trigger: Trigger::Http,
        env: &["DATABASE_URL", "SUPABASE_JWT_SECRET"],
    },
    FunctionSpec {
        name: crate::dashboard::handler::STATS_FUNCTION,
        trigger: Trigger::Http,
        env: &["DATABASE_URL", "SUPABASE_JWT_SECRET"],
    },
    FunctionSpec {
        name: MIGRATE,
        trigger: Trigger::Manual,
        env: &["DATABASE_URL"],
    },
];

pub const MIGRATE: &str = "migrate";

pub const ROUTES: &[Route] = &[
    Route {
        method: "POST",
        path: "/admin/refunds",
        function: crate::refunds::handler::FUNCTION,
    },
    Route {
        method: "POST",
        path: "/webhooks/razorpay",
        function: crate::webhooks::handler::FUNCTION,
    },
    Route {
        method: "GET",
        path: "/payments/retry",
        function: crate::payments::retry::FUNCTION,
    },
    Route {
        method: "GET",
        path: "/admin/payments",
        function: crate::dashboard::handler::LIST_FUNCTION,
    },
    Route {
        method: "GET",
        path: "/admin/payments/export",
        function: crate::dashboard::handler::LIST_FUNCTION,
    },
    Route {
        method: "GET",
        path: "/admin/payments/stats",
        function: crate::dashboard::handler::STATS_FUNCTION,
    },
    Route {
        method: "GET",
        path: "/parent/notification-preferences",
        function: crate::notifications::preferences::FUNCTION,
    },
    Route {
        method: "PUT",
        path: "/parent/notification-preferences",
        function: crate::notifications::preferences::FUNCTION,
    },
];

pub fn spec(name: &str) -> Option<&'static FunctionSpec> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Matches a method and path against the routes; returns the route and its path parameters.
pub fn match_route(method: &str, path: &str) -> Option<(&'static Route, Vec<(String, String)>)> {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    ROUTES
        .iter()
        .filter(|r| r.method.eq_ignore_ascii_case(method))
        .find_map(|r| {
            let pattern: Vec<&str> = r.path.split('/').collect();
            if pattern.len() != parts.len() {
                return None;
            }
            let mut params = Vec::new();
            for (p, actual) in pattern.iter().zip(&parts) {
                if let Some(name) = p.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    if actual.is_empty() {
                        return None;
                    }
                    params.push((name.to_string(), actual.to_string()));
                } else if p != actual {
                    return None;
                }
            }
            Some((r, params))
        })
}

/// Runs an HTTP function's handler.
pub async fn dispatch_http(ctx: &AppContext, function: &str, req: Request) -> Response<Body> {
    match function {
        crate::refunds::handler::FUNCTION => {
            Box::pin(crate::refunds::handler::handle(ctx, req)).await
        }
        crate::webhooks::handler::FUNCTION => {
            Box::pin(crate::webhooks::handler::handle(ctx, req)).await
        }
        crate::payments::retry::FUNCTION => {
            Box::pin(crate::payments::retry::handle(ctx, req)).await
        }
        crate::notifications::preferences::FUNCTION => {
            Box::pin(crate::notifications::preferences::handle(ctx, req)).await
        }
        crate::dashboard::handler::LIST_FUNCTION => {
            Box::pin(crate::dashboard::handler::handle_list(ctx, req)).await
        }
        crate::dashboard::handler::STATS_FUNCTION => {
            Box::pin(crate::dashboard::handler::handle_stats(ctx, req)).await
        }
        _ => {
            ApiError::NotFound("no such route".into()).into_response(&crate::http::request_id(&req))
        }
    }
}

/// Runs a non-HTTP function (cron or queue consumer) once with its event; returns its result.
pub async fn invoke_event(ctx: &AppContext, function: &str, event: Value) -> anyhow::Result<Value> {
    match function {
        crate::refunds::sync::FUNCTION => Ok(serde_json::to_value(
            Box::pin(crate::refunds::sync::run_once(ctx)).await?,
        )?),
        crate::notifications::relay::FUNCTION => Ok(serde_json::to_value(
            Box::pin(crate::notifications::relay::run_once(ctx)).await?,
        )?),
        crate::notifications::dispatch::FUNCTION => {
            let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(event)?;
            Ok(serde_json::to_value(
                Box::pin(crate::notifications::dispatch::handle_batch(ctx, event)).await,
            )?)
        }
        MIGRATE => {
            let mut client = crate::db::connect(ctx.config.require("DATABASE_URL")?).await?;
            Ok(serde_json::json!({ "applied": crate::db::migrate(&mut client).await? }))
        }
        other => anyhow::bail!("{other} is not an event-driven function"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_with_parameters() {
        assert_eq!(
            match_route("POST", "/admin/refunds").map(|(r, _)| r.function),
            Some("refund-initiate")
        );
        assert!(match_route("GET", "/admin/refunds").is_none());
        assert!(match_route("POST", "/admin/refunds/x").is_none());
    }

    #[test]
    fn every_route_names_a_known_http_function() {
        for r in ROUTES {
            assert_eq!(
                spec(r.function).map(|s| s.trigger),
                Some(Trigger::Http),
                "{}",
                r.function
            );
        }
    }
}
