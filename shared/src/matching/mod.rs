//! Gap 8: coach skill matching. What a specialization may say is `specialization.rs`; how a
//! coach is scored and ranked for a child, with the reasons, is `skill_match.rs`.
pub mod handler;
pub mod service;
pub mod skill_match;
pub mod specialization;
pub mod store;

/// `coach-match`: `GET /admin/coaches/match`, `GET`/`PUT /admin/coaches/{coachId}/specializations`.
pub static COACH_MATCH: crate::runtime::function::Function = crate::runtime::function::Function {
    name: handler::FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[
            handler::MATCH,
            handler::SPECIALIZATIONS,
            handler::REPLACE_SPECIALIZATIONS,
        ],
        handler: |ctx, req| Box::pin(handler::handle(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::JWT,
    ],
};
