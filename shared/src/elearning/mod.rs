//! Gap 4: e-learning content. What an imported row may say is `module_rule.rs` (with YouTube links
//! in `youtube.rs`); how far each stage is from the plan is `coverage.rs`.
pub mod coverage;
pub mod handler;
pub mod module_rule;
pub mod service;
pub mod store;
pub mod youtube;

/// `elearning-admin`: the bulk import and the coverage report (admin), and the published
/// modules for the apps (any signed-in user).
pub static ELEARNING_ADMIN: crate::runtime::function::Function =
    crate::runtime::function::Function {
        name: handler::FUNCTION,
        trigger: crate::runtime::function::Trigger::Http {
            routes: &[handler::IMPORT, handler::COVERAGE, handler::PUBLISHED],
            handler: |ctx, req| Box::pin(handler::handle(ctx, req)),
        },
        needs: &[
            &crate::runtime::needs::DATABASE,
            &crate::runtime::needs::JWT,
        ],
    };
