//! What an imported module row may say (gap 4). Stages by name or age band, topics by slug or
//! title (from `elearning_topics`), positions from 1, a YouTube id from any link to one video,
//! durations in seconds or `mm:ss` / `h:mm:ss`, an optional quiz id, a status (default `draft`).
//! Every problem is reported with its row and field; duplicates inside one file name both rows.
use super::youtube::video_id;
use serde::Deserialize;
use uuid::Uuid;

pub const STAGES: [(&str, &str); 3] = [
    ("foundation", "4-6"),
    ("building", "7-9"),
    ("mastery", "10-12"),
];
pub const STATUSES: [&str; 3] = ["draft", "published", "retired"];

/// A module as the file gives it (JSON fields or CSV columns of the same names).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawModule {
    #[serde(default)]
    pub stage: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    pub position: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub youtube: Option<String>,
    #[serde(default, deserialize_with = "text_or_number")]
    pub duration_seconds: Option<String>,
    #[serde(default)]
    pub quiz_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

/// JSON numbers and strings alike (a spreadsheet export may quote numbers).
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: Option<serde_json::Value> = Option::deserialize(d)?;
    Ok(match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub stage: &'static str,
    pub topic: String,
    pub position: i32,
    pub title: String,
    pub youtube_video_id: String,
    pub duration_seconds: i32,
    pub quiz_id: Option<Uuid>,
    pub status: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub row: u64,
    pub field: String,
    pub message: String,
}

/// A topic of the plan: (stage, slug, title).
#[derive(Debug, Clone)]
pub struct Topic {
    pub stage: String,
    pub topic: String,
    pub title: String,
}

pub fn stage(s: &str) -> Option<&'static str> {
    let s = s.trim().to_lowercase().replace(' ', "");
    STAGES
        .iter()
        .find(|(name, ages)| s == *name || s == *ages || s == format!("ages{ages}"))
        .map(|(name, _)| *name)
}

/// `754`, `12:34` or `1:02:03` → seconds.
pub fn duration(s: &str) -> Option<i32> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    let nums: Option<Vec<i64>> = parts
        .iter()
        .map(|p| {
            (!p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect();
    let nums = nums?;
    let secs = match nums.as_slice() {
        [s] => *s,
        [m, s] if *s < 60 => m * 60 + s,
        [h, m, s] if *m < 60 && *s < 60 => h * 3600 + m * 60 + s,
        _ => return None,
    };
    i32::try_from(secs).ok().filter(|s| *s > 0)
}

/// Checks every row; `rows[i].0` is the row number to report.
pub fn validate(rows: &[(u64, RawModule)], topics: &[Topic]) -> Result<Vec<Module>, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut out: Vec<(u64, Module)> = Vec::new();
    for (row, raw) in rows {
        let mut err = |field: &str, message: &str| {
            errors.push(RowError {
                row: *row,
                field: field.into(),
                message: message.into(),
            });
        };
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let st = match text(&raw.stage) {
            None => {
                err("stage", "required");
                None
            }
            Some(s) => {
                let v = stage(&s);
                if v.is_none() {
                    err(
                        "stage",
                        "must be foundation (4-6), building (7-9) or mastery (10-12)",
                    );
                }
                v
            }
        };
        let topic = match (st, text(&raw.topic)) {
            (_, None) => {
                err("topic", "required");
                None
            }
            (None, Some(_)) => None,
            (Some(st), Some(t)) => {
                let t_low = t.to_lowercase();
                let found = topics.iter().find(|x| {
                    x.stage == st
                        && (x.topic == t_low
                            || x.title.to_lowercase() == t_low
                            || x.topic == t_low.replace([' ', '-'], "_"))
                });
                if found.is_none() {
                    let names: Vec<&str> = topics
                        .iter()
                        .filter(|x| x.stage == st)
                        .map(|x| x.topic.as_str())
                        .collect();
                    err(
                        "topic",
                        &format!("must be one of {} for {st}", names.join(", ")),
                    );
                }
                found.map(|x| x.topic.clone())
            }
        };
        let position = match text(&raw.position).map(|p| p.parse::<i32>()) {
            None => {
                err("position", "required");
                None
            }
            Some(Ok(p)) if p > 0 => Some(p),
            Some(_) => {
                err("position", "must be a whole number from 1");
                None
            }
        };
        let title = match text(&raw.title) {
            None => {
                err("title", "required");
                None
            }
            Some(t) if t.chars().count() > 200 => {
                err("title", "must be at most 200 characters");
                None
            }
            Some(t) => Some(t),
        };
        let video = match text(&raw.youtube) {
            None => {
                err("youtube", "required");
                None
            }
            Some(y) => match video_id(&y) {
                Ok(id) => Some(id),
                Err(why) => {
                    err("youtube", why);
                    None
                }
            },
        };
        let seconds = match text(&raw.duration_seconds) {
            None => {
                err("durationSeconds", "required");
                None
            }
            Some(d) => {
                let v = duration(&d);
                if v.is_none() {
                    err(
                        "durationSeconds",
                        "must be seconds (> 0) or mm:ss or h:mm:ss",
                    );
                }
                v
            }
        };
        let quiz = match text(&raw.quiz_id) {
            None => Some(None),
            Some(q) => match Uuid::parse_str(&q) {
                Ok(u) => Some(Some(u)),
                Err(_) => {
                    err("quizId", "must be a UUID");
                    None
                }
            },
        };
        let status = match text(&raw.status).map(|s| s.to_lowercase()) {
            None => Some("draft"),
            Some(s) => {
                let v = STATUSES.iter().find(|x| **x == s).copied();
                if v.is_none() {
                    err("status", "must be draft, published or retired");
                }
                v
            }
        };
        if let (
            Some(stage),
            Some(topic),
            Some(position),
            Some(title),
            Some(video),
            Some(seconds),
            Some(quiz),
            Some(status),
        ) = (st, topic, position, title, video, seconds, quiz, status)
        {
            out.push((
                *row,
                Module {
                    stage,
                    topic,
                    position,
                    title,
                    youtube_video_id: video,
                    duration_seconds: seconds,
                    quiz_id: quiz,
                    status,
                },
            ));
        }
    }
    // Duplicates inside the file: the later row is the error, naming the earlier.
    for (i, (row, m)) in out.iter().enumerate() {
        if let Some((first, _)) = out[..i]
            .iter()
            .find(|(_, o)| o.youtube_video_id == m.youtube_video_id)
        {
            errors.push(RowError {
                row: *row,
                field: "youtube".into(),
                message: format!("the same video as row {first}"),
            });
        }
        if m.status != "retired" {
            if let Some((first, _)) = out[..i].iter().find(|(_, o)| {
                o.status != "retired"
                    && o.stage == m.stage
                    && o.topic == m.topic
                    && o.position == m.position
            }) {
                errors.push(RowError {
                    row: *row,
                    field: "position".into(),
                    message: format!("the same stage, topic and position as row {first}"),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(out.into_iter().map(|(_, m)| m).collect())
    } else {
        errors.sort_by(|a, b| a.row.cmp(&b.row).then(a.field.cmp(&b.field)));
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topics() -> Vec<Topic> {
        [
            ("foundation", "letter_sounds", "Letter sounds"),
            ("foundation", "blending", "Blending"),
            ("mastery", "comprehension", "Comprehension"),
        ]
        .iter()
        .map(|(s, t, n)| Topic {
            stage: s.to_string(),
            topic: t.to_string(),
            title: n.to_string(),
        })
        .collect()
    }

    fn raw(stage: &str, topic: &str, position: &str, youtube: &str, duration: &str) -> RawModule {
        RawModule {
            stage: Some(stage.into()),
            topic: Some(topic.into()),
            position: Some(position.into()),
            title: Some("A video".into()),
            youtube: Some(youtube.into()),
            duration_seconds: Some(duration.into()),
            quiz_id: None,
            status: None,
        }
    }

    #[test]
    fn stages_and_durations_in_every_accepted_form() {
        assert_eq!(stage("Foundation"), Some("foundation"));
        assert_eq!(stage("4-6"), Some("foundation"));
        assert_eq!(stage(" 10 - 12 "), Some("mastery"));
        assert_eq!(stage("ages 7-9"), Some("building"));
        assert_eq!(stage("expert"), None);
        assert_eq!(duration("754"), Some(754));
        assert_eq!(duration("12:34"), Some(754));
        assert_eq!(duration("1:02:03"), Some(3723));
        assert_eq!(duration("0"), None);
        assert_eq!(duration("1:75"), None);
        assert_eq!(duration("12.5"), None);
        assert_eq!(duration("-3"), None);
    }

    #[test]
    fn a_good_row_normalizes_and_bad_rows_name_every_field() {
        let got = validate(
            &[(
                2,
                raw(
                    "4-6",
                    "Letter Sounds",
                    "1",
                    "https://youtu.be/dQw4w9WgXcQ",
                    "3:05",
                ),
            )],
            &topics(),
        );
        let Ok(got) = got else {
            panic!("refused: {got:?}")
        };
        assert_eq!(got[0].stage, "foundation");
        assert_eq!(got[0].topic, "letter_sounds");
        assert_eq!(got[0].duration_seconds, 185);
        assert_eq!(got[0].status, "draft");
        let Err(errors) = validate(
            &[
                (
                    2,
                    raw(
                        "expert",
                        "x",
                        "0",
                        "https://www.youtube.com/playlist?list=PLx",
                        "abc",
                    ),
                ),
                (3, raw("mastery", "blending", "1", "dQw4w9WgXcQ", "60")),
            ],
            &topics(),
        ) else {
            panic!("accepted")
        };
        let cells: Vec<(u64, &str)> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(
            cells,
            vec![
                (2, "durationSeconds"),
                (2, "position"),
                (2, "stage"),
                (2, "youtube"),
                (3, "topic")
            ]
        );
    }

    #[test]
    fn duplicates_in_one_file_name_both_rows() {
        let Err(errors) = validate(
            &[
                (2, raw("foundation", "blending", "1", "dQw4w9WgXcQ", "60")),
                (
                    3,
                    raw(
                        "foundation",
                        "blending",
                        "2",
                        "https://youtu.be/dQw4w9WgXcQ",
                        "60",
                    ),
                ),
                (4, raw("foundation", "blending", "1", "aaaaaaaaaaa", "60")),
            ],
            &topics(),
        ) else {
            panic!("accepted")
        };
        let got: Vec<(u64, &str, &str)> = errors
            .iter()
            .map(|e| (e.row, e.field.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, "youtube", "the same video as row 2"),
                (4, "position", "the same stage, topic and position as row 2"),
            ]
        );
    }
}
