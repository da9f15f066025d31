//! What a function is: its name, its trigger (routes, schedule, queue) with the handler that
//! serves it, and what it needs. Each capability module declares its own functions next to the
//! code they run; `functions::ALL` lists them for local-api, the tests and the template check.
//! A Lambda binary hands its own definition to `lambda::run_http` or `run_event`, so it links only its handler
//! and only the runtime loop its trigger needs.
use crate::runtime::context::AppContext;
use crate::runtime::needs::Need;
use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

/// An HTTP handler: the API Gateway request in, the response out (never an error: the handler
/// maps every failure to the error contract itself).
pub type HttpHandler = for<'a> fn(&'a AppContext, Request) -> BoxFuture<'a, Response<Body>>;
/// A cron, queue or manual handler: the event as JSON in, the result as JSON out.
pub type EventHandler = for<'a> fn(&'a AppContext, Value) -> BoxFuture<'a, anyhow::Result<Value>>;

pub use crate::runtime::router::Route;

#[derive(Clone, Copy)]
pub enum Trigger {
    /// API Gateway HTTP API routes.
    Http {
        routes: &'static [Route],
        handler: HttpHandler,
    },
    /// An EventBridge schedule (`rate(…)` or `cron(…)`); `input` is the JSON the rule sends.
    /// With a `timezone` (IANA), the template uses EventBridge Scheduler (`ScheduleV2` with
    /// `ScheduleExpressionTimezone`); without, the schedule is in UTC.
    Schedule {
        expression: &'static str,
        timezone: Option<&'static str>,
        input: &'static str,
        handler: EventHandler,
    },
    /// An SQS queue, by its logical id in template.yaml.
    Queue {
        queue: &'static str,
        handler: EventHandler,
    },
    /// Invoked by hand or once per deploy.
    Manual { handler: EventHandler },
}

pub struct Function {
    pub name: &'static str,
    pub trigger: Trigger,
    pub needs: &'static [&'static Need],
}

impl Function {
    pub fn is_http(&self) -> bool {
        matches!(self.trigger, Trigger::Http { .. })
    }

    pub fn routes(&self) -> &'static [Route] {
        match self.trigger {
            Trigger::Http { routes, .. } => routes,
            _ => &[],
        }
    }

    /// The variables this function cannot start without, derived from what it needs.
    pub fn required_env(&self) -> Vec<&'static str> {
        self.env_of(|n| n.env)
    }

    /// Every variable the function reads: the required ones and those with defaults.
    pub fn all_env(&self) -> Vec<&'static str> {
        self.env_of(|n| n.env.iter().chain(n.optional))
    }

    /// The names `pick` takes from each need, first occurrence kept, in need order.
    fn env_of<I>(&self, pick: impl Fn(&'static Need) -> I) -> Vec<&'static str>
    where
        I: IntoIterator<Item = &'static &'static str>,
    {
        let mut out: Vec<&'static str> = Vec::new();
        for need in self.needs {
            for name in pick(need) {
                if !out.contains(name) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// Runs the function once: an HTTP request (matched to one of its routes first, as the
    /// Lambda runner does) or an event.
    pub async fn call_http(&self, ctx: &AppContext, req: Request) -> Option<Response<Body>> {
        match self.trigger {
            Trigger::Http { routes, handler } => Some(serve_http(ctx, routes, handler, req).await),
            _ => None,
        }
    }

    pub async fn call_event(&self, ctx: &AppContext, event: Value) -> anyhow::Result<Value> {
        match self.trigger {
            Trigger::Schedule { handler, .. }
            | Trigger::Queue { handler, .. }
            | Trigger::Manual { handler } => handler(ctx, event).await,
            Trigger::Http { .. } => anyhow::bail!("{} is an HTTP function", self.name),
        }
    }
}

/// One HTTP request through the router to the handler: a request that matches none of the
/// routes is answered here (404, or 405 naming the methods the path has).
pub async fn serve_http(
    ctx: &AppContext,
    routes: &'static [Route],
    handler: HttpHandler,
    req: Request,
) -> Response<Body> {
    let rid = crate::runtime::http::request_id(&req);
    match crate::runtime::router::route(routes, req) {
        Ok(req) => handler(ctx, req).await,
        Err(refused) => refused.into_response(&rid),
    }
}

/// A handler's typed result as the JSON the runtime returns.
pub fn to_json<T: serde::Serialize>(result: anyhow::Result<T>) -> anyhow::Result<Value> {
    Ok(serde_json::to_value(result?)?)
}

tokio::task_local! {
    static DEADLINE: std::time::Instant;
}

/// Runs `fut` knowing when the invocation must end (the Lambda context's deadline): a handler
/// that does work in a loop reads it with `deadline()` and stops in time.
pub async fn with_deadline<F: std::future::Future>(
    deadline: std::time::Instant,
    fut: F,
) -> F::Output {
    DEADLINE.scope(deadline, fut).await
}

/// The current invocation's deadline, when it runs under one (not in local-api or tests).
pub fn deadline() -> Option<std::time::Instant> {
    DEADLINE.try_with(|d| *d).ok()
}

/// The Lambda context's deadline (milliseconds since the epoch) as an `Instant`.
pub fn instant_of_epoch_ms(deadline_ms: u64) -> std::time::Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    std::time::Instant::now() + std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}
