//! The skill match (gap 8, with the seed plan's weights): how well each coach fits a child, why, and in
//! what order an admin sees them.
//!
//! - age group: the best proficiency among the coach's age groups containing the child's age, × 2;
//! - phonics: the proficiency of the coach's phonics level equal to the child's focus, × 3;
//! - learning needs: for each of the child's needs the coach has, its proficiency × 4, summed.
//!
//! Values compare trimmed and case-insensitive. Inactive coaches never reach this rule; coaches
//! at their cap of active enrollments are left out. When the child has learning needs, coaches
//! covering at least one of them come first whatever the other scores; then score (high first),
//! fewer active enrollments, name (case-insensitive), id.
use super::specialization::{normalize, parse_age_group, Kind};
use serde::Serialize;
use std::cmp::Ordering;
use uuid::Uuid;

pub const AGE_WEIGHT: i32 = 2;
pub const PHONICS_WEIGHT: i32 = 3;
pub const NEED_WEIGHT: i32 = 4;

#[derive(Debug, Clone, Default)]
pub struct Child {
    pub age: Option<i32>,
    pub phonics_focus: Option<String>,
    pub learning_needs: Vec<String>,
}

/// A stored specialization as read (its type may be anything another app wrote).
#[derive(Debug, Clone)]
pub struct Held {
    pub kind: String,
    pub value: String,
    pub proficiency: i32,
}

#[derive(Debug, Clone)]
pub struct Coach {
    pub id: Uuid,
    pub name: Option<String>,
    pub active_enrollments: i64,
    pub max_active_enrollments: Option<i32>,
    pub specializations: Vec<Held>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Breakdown {
    pub age_group: i32,
    pub phonics_level: i32,
    pub learning_need: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Match {
    pub coach_id: Uuid,
    pub name: Option<String>,
    pub score: i32,
    pub breakdown: Breakdown,
    pub active_enrollments: i64,
    pub reasons: Vec<String>,
    #[serde(skip)]
    pub covers_need: bool,
}

/// The child's needs as compared: normalized, blanks dropped, each once.
fn needs_of(child: &Child) -> Vec<String> {
    let mut needs: Vec<String> = Vec::new();
    for n in &child.learning_needs {
        let n = normalize(n);
        if !n.is_empty() && !needs.contains(&n) {
            needs.push(n);
        }
    }
    needs
}

fn held(coach: &Coach, kind: Kind) -> impl Iterator<Item = &Held> {
    coach
        .specializations
        .iter()
        .filter(move |s| normalize(&s.kind) == kind.as_str())
}

/// Scores one coach for one child.
pub fn score(child: &Child, coach: &Coach) -> Match {
    let mut breakdown = Breakdown::default();
    let mut reasons = Vec::new();

    match child.age {
        None => reasons.push("No age on record for the child: scored without the age part".into()),
        Some(age) => {
            let best = held(coach, Kind::AgeGroup)
                .filter_map(|s| parse_age_group(&s.value).map(|r| (r, s.proficiency)))
                .filter(|((lo, hi), _)| *lo <= age && age <= *hi)
                .max_by_key(|(range, p)| (*p, std::cmp::Reverse(*range)));
            if let Some(((lo, hi), p)) = best {
                breakdown.age_group = p * AGE_WEIGHT;
                reasons.push(format!("Ages {lo}-{hi}, proficiency {p}"));
            }
        }
    }

    if let Some(focus) = child.phonics_focus.as_deref().map(normalize) {
        if !focus.is_empty() {
            if let Some(p) = held(coach, Kind::PhonicsLevel)
                .filter(|s| normalize(&s.value) == focus)
                .map(|s| s.proficiency)
                .max()
            {
                breakdown.phonics_level = p * PHONICS_WEIGHT;
                reasons.push(format!("Phonics level {focus}, proficiency {p}"));
            }
        }
    }

    let mut covers_need = false;
    for need in needs_of(child) {
        if let Some(p) = held(coach, Kind::LearningNeed)
            .filter(|s| normalize(&s.value) == need)
            .map(|s| s.proficiency)
            .max()
        {
            covers_need = true;
            breakdown.learning_need += p * NEED_WEIGHT;
            reasons.push(format!("Learning need {need}, proficiency {p}"));
        }
    }
    if !child.learning_needs.is_empty() && !covers_need {
        reasons.push("Covers none of the child's learning needs".into());
    }
    if coach.specializations.is_empty() {
        reasons.push("No specializations on record".into());
    }
    reasons.push(match coach.max_active_enrollments {
        Some(cap) => format!(
            "{} active enrollments of at most {cap}",
            coach.active_enrollments
        ),
        None => format!("{} active enrollments", coach.active_enrollments),
    });

    Match {
        coach_id: coach.id,
        name: coach.name.clone(),
        score: breakdown.age_group + breakdown.phonics_level + breakdown.learning_need,
        breakdown,
        active_enrollments: coach.active_enrollments,
        reasons,
        covers_need,
    }
}

/// A coach at their cap takes no new child.
pub fn is_full(coach: &Coach) -> bool {
    coach
        .max_active_enrollments
        .is_some_and(|cap| coach.active_enrollments >= i64::from(cap))
}

fn order(a: &Match, b: &Match) -> Ordering {
    b.covers_need
        .cmp(&a.covers_need)
        .then(b.score.cmp(&a.score))
        .then(a.active_enrollments.cmp(&b.active_enrollments))
        .then_with(|| {
            let name = |m: &Match| m.name.as_deref().map(str::to_lowercase).unwrap_or_default();
            name(a).cmp(&name(b))
        })
        .then(a.coach_id.cmp(&b.coach_id))
}

/// The best `limit` coaches for the child, best first.
pub fn rank(child: &Child, coaches: &[Coach], limit: usize) -> Vec<Match> {
    let mut matches: Vec<Match> = coaches
        .iter()
        .filter(|c| !is_full(c))
        .map(|c| score(child, c))
        .collect();
    // Without needs, nobody covers one: the first key is equal for all.
    matches.sort_by(order);
    matches.truncate(limit);
    matches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str, value: &str, proficiency: i32) -> Held {
        Held {
            kind: kind.into(),
            value: value.into(),
            proficiency,
        }
    }

    fn coach(n: u128, name: &str, active: i64, specs: Vec<Held>) -> Coach {
        Coach {
            id: Uuid::from_u128(n),
            name: Some(name.into()),
            active_enrollments: active,
            max_active_enrollments: None,
            specializations: specs,
        }
    }

    fn child(age: Option<i32>, phonics: Option<&str>, needs: &[&str]) -> Child {
        Child {
            age,
            phonics_focus: phonics.map(str::to_string),
            learning_needs: needs.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn the_seed_weights_on_a_worked_example() {
        // Age 5: both 4-6 (8) and 3-5 (6) contain it, the best counts: 8 × 2 = 16.
        // Phonics foundation 7 × 3 = 21. Needs dyslexia 9 × 4 + adhd 5 × 4 = 56. Total 93.
        let c = coach(
            1,
            "Asha",
            2,
            vec![
                spec("age_group", "4-6", 8),
                spec("age_group", "3-5", 6),
                spec("age_group", "7-9", 10),
                spec("phonics_level", "foundation", 7),
                spec("phonics_level", "mastery", 10),
                spec("learning_need", "dyslexia", 9),
                spec("learning_need", "adhd", 5),
                spec("learning_need", "speech_delay", 10),
            ],
        );
        let m = score(
            &child(
                Some(5),
                Some(" Foundation "),
                &["Dyslexia", "adhd", "autism"],
            ),
            &c,
        );
        assert_eq!(
            m.breakdown,
            Breakdown {
                age_group: 16,
                phonics_level: 21,
                learning_need: 56
            }
        );
        assert_eq!(m.score, 93);
        assert_eq!(
            m.reasons,
            vec![
                "Ages 4-6, proficiency 8",
                "Phonics level foundation, proficiency 7",
                "Learning need dyslexia, proficiency 9",
                "Learning need adhd, proficiency 5",
                "2 active enrollments",
            ]
        );
        assert!(m.covers_need);
    }

    #[test]
    fn age_range_edges_are_inclusive() {
        let c = coach(1, "A", 0, vec![spec("age_group", "4-6", 5)]);
        for (age, want) in [(3, 0), (4, 10), (6, 10), (7, 0)] {
            assert_eq!(
                score(&child(Some(age), None, &[]), &c).breakdown.age_group,
                want,
                "age {age}"
            );
        }
    }

    #[test]
    fn a_child_without_age_is_scored_without_the_age_part_and_told_so() {
        let c = coach(
            1,
            "A",
            0,
            vec![
                spec("age_group", "3-16", 10),
                spec("phonics_level", "building", 4),
            ],
        );
        let m = score(&child(None, Some("building"), &[]), &c);
        assert_eq!(m.score, 12);
        assert!(m.reasons[0].contains("No age on record"), "{:?}", m.reasons);
    }

    #[test]
    fn a_need_given_twice_counts_once() {
        let c = coach(1, "A", 0, vec![spec("learning_need", "adhd", 5)]);
        assert_eq!(score(&child(None, None, &["adhd", " ADHD"]), &c).score, 20);
    }

    #[test]
    fn coaches_covering_a_need_come_first_whatever_their_score() {
        let strong = coach(
            1,
            "Strong",
            0,
            vec![
                spec("age_group", "4-8", 10),
                spec("phonics_level", "building", 10),
            ],
        );
        let weak_need = coach(2, "Weak", 0, vec![spec("learning_need", "dyslexia", 1)]);
        let empty = coach(3, "Empty", 0, vec![]);
        let ch = child(Some(6), Some("building"), &["dyslexia"]);
        let got: Vec<(u128, i32)> =
            rank(&ch, &[strong.clone(), weak_need.clone(), empty.clone()], 5)
                .iter()
                .map(|m| (m.coach_id.as_u128(), m.score))
                .collect();
        assert_eq!(got, vec![(2, 4), (1, 50), (3, 0)]);
        // Without needs the score alone orders them.
        let ch = child(Some(6), Some("building"), &[]);
        let got: Vec<u128> = rank(&ch, &[weak_need, empty, strong], 5)
            .iter()
            .map(|m| m.coach_id.as_u128())
            .collect();
        assert_eq!(got, vec![1, 3, 2]);
    }

    #[test]
    fn ties_go_to_fewer_enrollments_then_name_then_id() {
        let s = || vec![spec("phonics_level", "mastery", 5)];
        let coaches = [
            coach(5, "bela", 3, s()),
            coach(4, "Chitra", 1, s()),
            coach(3, "Anu", 3, s()),
            coach(2, "anu", 3, s()),
        ];
        let got: Vec<u128> = rank(&child(None, Some("mastery"), &[]), &coaches, 10)
            .iter()
            .map(|m| m.coach_id.as_u128())
            .collect();
        assert_eq!(got, vec![4, 2, 3, 5]);
    }

    #[test]
    fn full_coaches_are_left_out_and_the_limit_holds() {
        let mut full = coach(1, "Full", 5, vec![spec("learning_need", "adhd", 10)]);
        full.max_active_enrollments = Some(5);
        let mut room = coach(2, "Room", 4, vec![]);
        room.max_active_enrollments = Some(5);
        let mut closed = coach(3, "Closed", 0, vec![]);
        closed.max_active_enrollments = Some(0);
        let others: Vec<Coach> = (10..20).map(|i| coach(i, "X", 0, vec![])).collect();
        let mut all = vec![full, room, closed];
        all.extend(others);
        let ch = child(Some(5), None, &["adhd"]);
        assert_eq!(rank(&ch, &all, 3).len(), 3);
        let got = rank(&ch, &all, 50);
        assert_eq!(got.len(), 11, "13 coaches, one full and one closed");
        assert!(got
            .iter()
            .all(|m| m.coach_id.as_u128() != 1 && m.coach_id.as_u128() != 3));
        // Below the cap, but with the most enrollments: last among equals.
        assert_eq!(got.last().map(|m| m.coach_id.as_u128()), Some(2));
        assert!(got[0]
            .reasons
            .contains(&"Covers none of the child's learning needs".to_string()));
    }

    #[test]
    fn a_coach_without_specializations_scores_zero_and_says_why() {
        let m = score(
            &child(Some(5), Some("foundation"), &[]),
            &coach(1, "New", 0, vec![]),
        );
        assert_eq!(m.score, 0);
        assert!(m
            .reasons
            .contains(&"No specializations on record".to_string()));
    }
}
