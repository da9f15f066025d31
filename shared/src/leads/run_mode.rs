//! Which leads a night scores: all of them (`Full`) or only those whose inputs or window moved
//! since the scores were computed (`Changes`). A full run is needed when it is asked for
//! (`{"full": true}`), when no run has ever scored every lead, and when the stored scores were
//! computed with another version of the rule (`lead_score::RULE_VERSION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    Full,
    Changes,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Full => "full",
            RunMode::Changes => "changes",
        }
    }
}

pub fn run_mode(
    asked_full: bool,
    ever_completed: bool,
    stored_rule: Option<i32>,
    rule: i32,
) -> RunMode {
    if asked_full || !ever_completed || stored_rule != Some(rule) {
        RunMode::Full
    } else {
        RunMode::Changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_when_asked_first_or_the_rule_changed() {
        assert_eq!(run_mode(false, true, Some(1), 1), RunMode::Changes);
        assert_eq!(run_mode(true, true, Some(1), 1), RunMode::Full);
        assert_eq!(run_mode(false, false, Some(1), 1), RunMode::Full);
        assert_eq!(run_mode(false, true, None, 1), RunMode::Full);
        assert_eq!(run_mode(false, true, Some(1), 2), RunMode::Full);
    }
}
