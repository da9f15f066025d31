//! What a coach's specialization may say (gap 8): an age group `"lo-hi"` with 3 ≤ lo ≤ hi ≤ 16,
//! a phonics level (`foundation`, `building`, `mastery`) or a learning need (a lower-case slug),
//! with a proficiency from 1 to 10. Values are trimmed and lower-cased before they are checked,
//! so `" Dyslexia "` and `dyslexia` are the same entry.
use serde::{Deserialize, Serialize};

/// The most entries one coach may have (a PUT with more is refused).
pub const MAX_ENTRIES: usize = 100;
pub const PHONICS_LEVELS: [&str; 3] = ["foundation", "building", "mastery"];
pub const MIN_AGE: i32 = 3;
pub const MAX_AGE: i32 = 16;
const MAX_SLUG: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    AgeGroup,
    PhonicsLevel,
    LearningNeed,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AgeGroup => "age_group",
            Kind::PhonicsLevel => "phonics_level",
            Kind::LearningNeed => "learning_need",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "age_group" => Some(Kind::AgeGroup),
            "phonics_level" => Some(Kind::PhonicsLevel),
            "learning_need" => Some(Kind::LearningNeed),
            _ => None,
        }
    }
}

/// One entry as a PUT body gives it; types beyond these are refused by serde with the entry's
/// path (`specializations[2].proficiency`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    pub proficiency: i64,
}

/// A checked, normalized specialization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Specialization {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
    pub proficiency: i32,
}

/// `"4-6"` → (4, 6): two whole numbers joined by a hyphen, spaces around each allowed. No range
/// check: a stored value written by another app is read with this too.
pub fn parse_age_group(value: &str) -> Option<(i32, i32)> {
    let (lo, hi) = value.trim().split_once('-')?;
    let num = |s: &str| -> Option<i32> {
        let s = s.trim();
        if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    Some((num(lo)?, num(hi)?))
}

fn is_slug(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z'))
        && s.len() <= MAX_SLUG
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The value as stored and compared: trimmed and lower-cased.
pub fn normalize(value: &str) -> String {
    value.trim().to_lowercase()
}

fn check_value(kind: Kind, raw: &str) -> Result<String, String> {
    let value = normalize(raw);
    match kind {
        Kind::AgeGroup => match parse_age_group(&value) {
            Some((lo, hi)) if (MIN_AGE..=MAX_AGE).contains(&lo) && (lo..=MAX_AGE).contains(&hi) => {
                Ok(format!("{lo}-{hi}"))
            }
            Some(_) => Err(format!(
                "an age group needs {MIN_AGE} <= lo <= hi <= {MAX_AGE}"
            )),
            None => Err("an age group is \"lo-hi\", e.g. \"4-6\"".into()),
        },
        Kind::PhonicsLevel if PHONICS_LEVELS.contains(&value.as_str()) => Ok(value),
        Kind::PhonicsLevel => Err(format!("must be one of {}", PHONICS_LEVELS.join(", "))),
        Kind::LearningNeed if is_slug(&value) => Ok(value),
        Kind::LearningNeed => Err(format!(
            "a learning need is a lower-case slug (letters, digits, _; at most {MAX_SLUG}), e.g. \"dyslexia\""
        )),
    }
}

/// Checks a whole set. Every problem is named by its field, `specializations[<i>].<field>`; a
/// (type, value) given twice is a problem of the later entry's `value`.
pub fn validate(entries: &[Entry]) -> Result<Vec<Specialization>, Vec<(String, String)>> {
    let mut errors = Vec::new();
    if entries.len() > MAX_ENTRIES {
        errors.push((
            "specializations".to_string(),
            format!("at most {MAX_ENTRIES} entries"),
        ));
        return Err(errors);
    }
    let mut out: Vec<Specialization> = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let field = |f: &str| format!("specializations[{i}].{f}");
        let kind = Kind::parse(e.kind.trim());
        if kind.is_none() {
            errors.push((
                field("type"),
                "must be one of age_group, phonics_level, learning_need".into(),
            ));
        }
        if !(1..=10).contains(&e.proficiency) {
            errors.push((
                field("proficiency"),
                "must be an integer from 1 to 10".into(),
            ));
        }
        let Some(kind) = kind else { continue };
        match check_value(kind, &e.value) {
            Err(problem) => errors.push((field("value"), problem)),
            Ok(value) => {
                if out
                    .iter()
                    .any(|s| s.kind == kind.as_str() && s.value == value)
                {
                    errors.push((
                        field("value"),
                        format!("{} {value:?} is given twice", kind.as_str()),
                    ));
                } else if (1..=10).contains(&e.proficiency) {
                    out.push(Specialization {
                        kind: kind.as_str(),
                        value,
                        proficiency: e.proficiency as i32,
                    });
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: &str, value: &str, proficiency: i64) -> Entry {
        Entry {
            kind: kind.into(),
            value: value.into(),
            proficiency,
        }
    }

    #[test]
    fn normalizes_valid_entries() {
        let got = validate(&[
            entry("age_group", " 4 - 6 ", 8),
            entry("phonics_level", "Foundation", 7),
            entry("learning_need", " Speech_Delay", 10),
            entry("age_group", "3-16", 1),
        ]);
        let Ok(got) = got else {
            panic!("refused: {got:?}")
        };
        let values: Vec<(&str, &str, i32)> = got
            .iter()
            .map(|s| (s.kind, s.value.as_str(), s.proficiency))
            .collect();
        assert_eq!(
            values,
            vec![
                ("age_group", "4-6", 8),
                ("phonics_level", "foundation", 7),
                ("learning_need", "speech_delay", 10),
                ("age_group", "3-16", 1),
            ]
        );
    }

    #[test]
    fn names_each_bad_field_by_index() {
        let Err(errors) = validate(&[
            entry("age_group", "2-6", 5),
            entry("age_group", "7-5", 5),
            entry("age_group", "4-17", 5),
            entry("age_group", "four-six", 5),
            entry("phonics_level", "advanced", 5),
            entry("learning_need", "reading difficulty", 5),
            entry("learning_need", "9lives", 5),
            entry("skill", "x", 5),
            entry("learning_need", "adhd", 0),
            entry("learning_need", "adhd", 11),
        ]) else {
            panic!("accepted")
        };
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "specializations[0].value",
                "specializations[1].value",
                "specializations[2].value",
                "specializations[3].value",
                "specializations[4].value",
                "specializations[5].value",
                "specializations[6].value",
                "specializations[7].type",
                "specializations[8].proficiency",
                "specializations[9].proficiency",
            ]
        );
    }

    #[test]
    fn the_same_type_and_value_twice_is_refused_after_normalizing() {
        let Err(errors) = validate(&[
            entry("learning_need", "dyslexia", 5),
            entry("age_group", "4-6", 5),
            entry("learning_need", " DYSLEXIA", 9),
        ]) else {
            panic!("accepted")
        };
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "specializations[2].value");
        // The same value under another type is a different entry.
        assert!(validate(&[
            entry("learning_need", "adhd", 5),
            entry("phonics_level", "mastery", 5)
        ])
        .is_ok());
    }

    #[test]
    fn an_empty_set_is_valid_and_too_many_entries_are_not() {
        assert_eq!(validate(&[]).ok(), Some(vec![]));
        let many: Vec<Entry> = (0..=MAX_ENTRIES)
            .map(|i| entry("learning_need", &format!("need_{i}"), 5))
            .collect();
        let Err(errors) = validate(&many) else {
            panic!("accepted")
        };
        assert_eq!(errors[0].0, "specializations");
    }

    #[test]
    fn age_groups_parse_leniently_for_reading() {
        assert_eq!(parse_age_group("4-6"), Some((4, 6)));
        assert_eq!(parse_age_group(" 10 - 12 "), Some((10, 12)));
        assert_eq!(parse_age_group("4"), None);
        assert_eq!(parse_age_group("-4-6"), None);
        assert_eq!(parse_age_group("a-b"), None);
    }
}
