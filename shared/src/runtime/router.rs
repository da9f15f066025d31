//! The one place a request is matched to a route (method + API Gateway path template,
//! `/admin/payouts/{payoutId}/receipt`): the Lambda runner and `Function::call_http` (local-api,
//! the tests) both go through `route`, and a multi-route function's handler asks `matched` which
//! of its routes it serves instead of reading the path itself.
//!
//! Behind API Gateway the route is the event's `routeKey` (the gateway already matched it and
//! decoded the path parameters); elsewhere the path is matched against the templates here and
//! the parameters are taken from it.
use crate::runtime::http::ApiError;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use std::collections::HashMap;

/// One HTTP route in API Gateway syntax (`/admin/refunds/{terminationId}/retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
}

/// A route's path parameters, in template order.
pub type Params = Vec<(String, String)>;

/// The route a request was matched to, kept in its extensions.
#[derive(Clone, Copy)]
struct MatchedRoute(&'static Route);

/// Why no route matched.
#[derive(Debug, PartialEq, Eq)]
pub enum NoRoute {
    /// No template matches the path.
    Path,
    /// A template matches the path, not with this method: the methods it has.
    Method(Vec<&'static str>),
}

/// The path's parameters when it matches `template` segment by segment (`{name}` takes one
/// non-empty segment, percent-decoded); `None` otherwise.
pub fn match_path(template: &str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut want = template.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) => {
                if let Some(name) = w.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    if g.is_empty() {
                        return None;
                    }
                    let value = percent_encoding::percent_decode_str(g)
                        .decode_utf8()
                        .ok()?
                        .into_owned();
                    params.push((name.to_string(), value));
                } else if w != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// The route among `routes` for this method and path, with its parameters.
pub fn find<'r>(
    routes: impl IntoIterator<Item = &'r Route>,
    method: &str,
    path: &str,
) -> Result<(&'r Route, Params), NoRoute> {
    let mut methods = Vec::new();
    for route in routes {
        if let Some(params) = match_path(route.path, path) {
            if route.method.eq_ignore_ascii_case(method) {
                return Ok((route, params));
            }
            methods.push(route.method);
        }
    }
    if methods.is_empty() {
        Err(NoRoute::Path)
    } else {
        Err(NoRoute::Method(methods))
    }
}

/// API Gateway's `routeKey` (`GET /admin/payouts/{payoutId}/receipt`), when the request came
/// through it.
fn route_key(req: &Request) -> Option<String> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(c) => c.route_key.clone(),
        _ => None,
    }
}

/// Matches the request to one of `routes` and records which (see `matched`); a request without
/// path parameters gets those of its path. No route: 404; the path with another method: 405.
pub fn route(routes: &'static [Route], req: Request) -> Result<Request, ApiError> {
    let by_key = route_key(&req).and_then(|key| {
        routes
            .iter()
            .find(|r| key == format!("{} {}", r.method, r.path))
    });
    if let Some(route) = by_key {
        let mut req = req;
        req.extensions_mut().insert(MatchedRoute(route));
        return Ok(req);
    }
    let path = req.uri().path().to_string();
    match find(routes, req.method().as_str(), &path) {
        Ok((route, params)) => {
            let mut req = if req.path_parameters().is_empty() && !params.is_empty() {
                let map: HashMap<String, String> = params.into_iter().collect();
                req.with_path_parameters(map)
            } else {
                req
            };
            req.extensions_mut().insert(MatchedRoute(route));
            Ok(req)
        }
        Err(NoRoute::Method(methods)) => Err(ApiError::MethodNotAllowed {
            allowed: methods.join(", "),
        }),
        Err(NoRoute::Path) => Err(ApiError::NotFound(format!(
            "no route for {} {}",
            req.method(),
            path
        ))),
    }
}

/// The route `route` matched this request to.
pub fn matched(req: &Request) -> Option<&'static Route> {
    req.extensions().get::<MatchedRoute>().map(|m| m.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    static ROUTES: &[Route] = &[
        Route {
            method: "GET",
            path: "/admin/payouts",
        },
        Route {
            method: "POST",
            path: "/admin/payouts/statement",
        },
        Route {
            method: "POST",
            path: "/admin/payouts/{payoutId}/reconcile",
        },
        Route {
            method: "GET",
            path: "/admin/payouts/{payoutId}/receipt",
        },
    ];

    #[test]
    fn templates_match_segment_by_segment() {
        assert_eq!(match_path("/admin/payouts", "/admin/payouts"), Some(vec![]));
        assert_eq!(match_path("/admin/payouts", "/admin/payouts/"), None);
        assert_eq!(match_path("/admin/payouts", "/admin/payouts/x"), None);
        assert_eq!(
            match_path("/a/{id}/b", "/a/x%20y/b"),
            Some(vec![("id".into(), "x y".into())])
        );
        assert_eq!(match_path("/a/{id}/b", "/a//b"), None);
    }

    #[test]
    fn the_method_and_the_path_pick_one_route() {
        let (r, p) = find(ROUTES, "POST", "/admin/payouts/statement")
            .map_err(|e| format!("{e:?}"))
            .unwrap_or((&ROUTES[0], vec![("none".into(), String::new())]));
        assert_eq!((r.path, p.len()), ("/admin/payouts/statement", 0));
        let found = find(ROUTES, "GET", "/admin/payouts/p-1/receipt");
        assert_eq!(
            found.map(|(r, p)| (r.path, p)),
            Ok((
                "/admin/payouts/{payoutId}/receipt",
                vec![("payoutId".to_string(), "p-1".to_string())]
            ))
        );
        assert_eq!(
            find(ROUTES, "DELETE", "/admin/payouts/p-1/receipt").map(|(r, _)| r.path),
            Err(NoRoute::Method(vec!["GET"]))
        );
        assert_eq!(
            find(ROUTES, "GET", "/admin/payouts/p-1").map(|(r, _)| r.path),
            Err(NoRoute::Path)
        );
    }

    #[test]
    fn a_request_records_its_route_and_gets_its_parameters() {
        let req = lambda_http::http::Request::builder()
            .method("POST")
            .uri("https://x/admin/payouts/p-9/reconcile")
            .body(lambda_http::Body::Empty);
        let routed = req
            .map_err(|e| e.to_string())
            .and_then(|r| route(ROUTES, r).map_err(|e| e.to_string()));
        match routed {
            Ok(r) => {
                assert_eq!(
                    matched(&r).map(|m| m.path),
                    Some("/admin/payouts/{payoutId}/reconcile")
                );
                assert_eq!(r.path_parameters().first("payoutId"), Some("p-9"));
            }
            Err(e) => panic!("not routed: {e}"),
        }
    }
}
