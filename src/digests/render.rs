//! A digest (or a confirmation request) as an email: subject, plain text
//! and HTML, from the templates beside this file, in the subscriber's
//! language where `strings.json` has it (English otherwise).

use std::{collections::HashMap, sync::LazyLock};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use minijinja::{AutoEscape, context};

use super::{
    content::{Awareness, CommitmentNews, Digest, Item, LISTED, MilestoneDue},
    schedule::Frequency,
};
use crate::{error::AppResult, mail::render};

const DIGEST_TEXT: &str = include_str!("templates/digest.txt");
const DIGEST_HTML: &str = include_str!("templates/digest.html");
const CONFIRM_TEXT: &str = include_str!("templates/confirm.txt");
const CONFIRM_HTML: &str = include_str!("templates/confirm.html");

/// The words of emails in one language, by key.
type Phrases = HashMap<String, serde_json::Value>;

static STRINGS: LazyLock<HashMap<String, Phrases>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("templates/strings.json")).unwrap_or_else(|err| {
        // A unit test parses the file; this only runs if it was broken anyway.
        tracing::error!(error = %err, "digest strings do not parse");
        HashMap::new()
    })
});

/// The strings of one language, falling back to English phrase by phrase.
struct Words {
    language: String,
}

impl Words {
    fn of(language: &str) -> Self {
        let language = if STRINGS.contains_key(language) {
            language
        } else {
            "en"
        };
        Self {
            language: language.to_owned(),
        }
    }

    fn value(&self, key: &str) -> Option<&serde_json::Value> {
        [self.language.as_str(), "en"]
            .into_iter()
            .find_map(|language| STRINGS.get(language)?.get(key))
    }

    fn get(&self, key: &str) -> String {
        self.value(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or(key)
            .to_owned()
    }

    /// `key` with `{n}` filled, in the `_one` or `_other` form when there
    /// are both.
    fn count(&self, key: &str, n: u64) -> String {
        let form = if n == 1 { "one" } else { "other" };
        let phrase = self
            .value(&format!("{key}_{form}"))
            .or_else(|| self.value(key))
            .and_then(serde_json::Value::as_str)
            .unwrap_or(key);
        phrase.replace("{n}", &n.to_string())
    }

    fn with_date(&self, key: &str, day: NaiveDate) -> String {
        self.get(key).replace("{date}", &self.date(day))
    }

    /// `23 Nov 2026`.
    fn date(&self, day: NaiveDate) -> String {
        let month = self
            .value("months")
            .and_then(|months| months.get(day.month0() as usize))
            .and_then(serde_json::Value::as_str)
            .map_or_else(|| format!("{:02}", day.month()), str::to_owned);
        format!("{} {month} {}", day.day(), day.year())
    }

    fn kind(&self, kind: &str) -> String {
        self.named("kinds", kind)
    }

    /// The name of `value` in the table `table` (`kinds`, `statuses`…), or
    /// the value itself.
    fn named(&self, table: &str, value: &str) -> String {
        self.value(table)
            .and_then(|names| names.get(value))
            .and_then(serde_json::Value::as_str)
            .unwrap_or(value)
            .to_owned()
    }

    fn table(&self) -> minijinja::Value {
        let mut phrases: HashMap<&str, &serde_json::Value> = HashMap::new();
        for language in ["en", self.language.as_str()] {
            if let Some(strings) = STRINGS.get(language) {
                phrases.extend(strings.iter().map(|(k, v)| (k.as_str(), v)));
            }
        }
        minijinja::Value::from_serialize(phrases)
    }
}

/// An email ready for the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Who a digest is for and how it is framed.
pub struct Addressee<'a> {
    pub name: &'a str,
    pub language: &'a str,
    pub frequency: Frequency,
    pub zone: Tz,
}

/// The digest email; `unsubscribe` is its one-click link.
pub fn digest(
    digest: &Digest,
    to: &Addressee<'_>,
    public_url: &str,
    unsubscribe: &str,
) -> AppResult<Rendered> {
    let words = Words::of(to.language);
    let base = public_url.trim_end_matches('/');
    let start = local_day(digest.since, to.zone);
    let today = local_day(digest.until, to.zone);
    let subject = subject(digest, &words, to.frequency, start);
    let intro = match to.frequency {
        Frequency::Daily => words.with_date("intro_daily", start),
        _ => words.with_date("intro_weekly", start),
    };
    let commitments: Vec<minijinja::Value> = digest
        .commitments
        .iter()
        .filter(|c| {
            c.new_feedback > 0
                || !c.awaiting.is_empty()
                || has_milestones_or_figures(c)
                || !c.updates.is_empty()
                || !c.decisions.is_empty()
        })
        .map(|c| commitment(c, &words, base, digest.until, today))
        .collect();
    let alerts: Vec<&str> = digest.alerts.iter().map(|a| a.message.as_str()).collect();
    let values = context! {
        t => words.table(),
        language => words.language,
        subject => subject,
        name => to.name,
        intro => intro,
        alerts => alerts,
        commitments => commitments,
        unsubscribe => unsubscribe,
    };
    Ok(Rendered {
        text: render("digest.txt", DIGEST_TEXT, AutoEscape::None, values.clone())?,
        html: render("digest.html", DIGEST_HTML, AutoEscape::Html, values)?,
        subject,
    })
}

fn has_milestones_or_figures(c: &CommitmentNews) -> bool {
    !c.due_soon.is_empty() || !c.overdue.is_empty() || c.awareness.has_figures()
}

/// `MO0018: 7 new comments, 2 awaiting your response — week of 23 Nov 2026`.
fn subject(digest: &Digest, words: &Words, frequency: Frequency, start: NaiveDate) -> String {
    let codes: Vec<&str> = digest
        .commitments
        .iter()
        .filter(|c| c.new_feedback > 0 || c.awaiting_total > 0 || has_milestones_or_figures(c))
        .map(|c| c.code.as_str())
        .collect();
    let codes = if codes.is_empty() {
        // Sent for a compliance alert alone.
        digest.commitments.iter().map(|c| c.code.as_str()).collect()
    } else {
        codes
    };
    let about = if codes.len() > 3 {
        words.count("commitments", codes.len() as u64)
    } else {
        codes.join(", ")
    };
    let mut parts = Vec::new();
    let new = digest.new_feedback();
    if new > 0 {
        parts.push(words.count("subject_new", new));
    }
    let awaiting = digest.awaiting();
    if awaiting > 0 {
        parts.push(words.count("subject_awaiting", awaiting));
    }
    if parts.is_empty() {
        let due: u64 = digest
            .commitments
            .iter()
            .map(|c| c.due_soon.len() as u64)
            .sum();
        let overdue: u64 = digest
            .commitments
            .iter()
            .map(|c| c.overdue.len() as u64)
            .sum();
        if due > 0 {
            parts.push(words.count("subject_due", due));
        }
        if overdue > 0 {
            parts.push(words.count("subject_overdue", overdue));
        }
        if parts.is_empty() && !digest.alerts.is_empty() {
            parts.push(words.count("subject_alerts", digest.alerts.len() as u64));
        }
        if parts.is_empty() {
            parts.push(words.get("subject_awareness"));
        }
    }
    let when = match frequency {
        Frequency::Daily => words.with_date("subject_daily", start),
        _ => words.with_date("subject_weekly", start),
    };
    format!("{about}: {} — {when}", parts.join(", "))
}

fn commitment(
    c: &CommitmentNews,
    words: &Words,
    base: &str,
    until: DateTime<Utc>,
    today: NaiveDate,
) -> minijinja::Value {
    let page = format!("{base}/commitments/{}", c.code);
    let feedback_page = format!("{page}/feedback");
    let more = |total: u64, shown: usize| {
        let rest = total.saturating_sub(shown as u64);
        (total > LISTED && rest > 0).then(|| {
            context! {
                label => words.count("and_more", rest),
                link => feedback_page.clone(),
            }
        })
    };
    let by_kind = c
        .new_by_kind
        .iter()
        .map(|(kind, n)| format!("{n} {}", words.kind(kind)))
        .collect::<Vec<_>>()
        .join(", ");
    let item = |item: &Item| {
        let days = u64::try_from((until - item.created_at).num_days().max(0)).unwrap_or(0);
        context! {
            kind => words.kind(&item.kind),
            excerpt => item.excerpt,
            author => item.author_name,
            link => format!("{page}#feedback-{}", item.id),
            waiting => words.count("waiting", days),
        }
    };
    let milestone = |m: &MilestoneDue| {
        let key = if m.end < today { "ended_on" } else { "ends_on" };
        context! {
            position => m.position,
            title => m.title,
            when => words.with_date(key, m.end),
        }
    };
    context! {
        code => c.code,
        title => c.title,
        link => page,
        new_total => c.new_feedback,
        by_kind => by_kind,
        newest => c.newest.iter().map(item).collect::<Vec<_>>(),
        more => more(c.new_feedback, c.newest.len()),
        awaiting => c.awaiting.iter().map(item).collect::<Vec<_>>(),
        awaiting_total => c.awaiting_total,
        awaiting_more => more(c.awaiting_total, c.awaiting.len()),
        due_soon => c.due_soon.iter().map(milestone).collect::<Vec<_>>(),
        overdue => c.overdue.iter().map(milestone).collect::<Vec<_>>(),
        awareness => c.awareness.has_figures().then(|| awareness(&c.awareness)),
        updates => c.updates.iter().map(|u| context! {
            date => u.date.to_string(),
            status => words.named("statuses", &u.status),
            milestone => u.milestone_position,
            evidence => words.count("evidence", u.evidence),
        }).collect::<Vec<_>>(),
        decisions => c.decisions.iter()
            .map(|(decision, n)| format!("{}: {n}", words.named("decisions", decision)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn awareness(figures: &Awareness) -> minijinja::Value {
    let share = |aware: i64, responses: i64| {
        if responses > 0 {
            format!("{}%", (aware * 100 + responses / 2) / responses)
        } else {
            "–".to_owned()
        }
    };
    context! {
        reach => figures.current.reach,
        previous_reach => figures.previous.reach,
        responses => figures.current.responses,
        previous_responses => figures.previous.responses,
        aware_share => share(figures.current.aware, figures.current.responses),
        previous_aware_share => share(figures.previous.aware, figures.previous.responses),
    }
}

fn local_day(at: DateTime<Utc>, zone: Tz) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The email asking `name` to confirm a subscription at `link`.
pub fn confirmation(
    name: &str,
    language: &str,
    frequency: Frequency,
    link: &str,
) -> AppResult<Rendered> {
    let words = Words::of(language);
    let body = words
        .get("confirm_body")
        .replace("{frequency}", &words.get(frequency.as_str()));
    let values = context! {
        t => words.table(),
        language => words.language,
        name => name,
        body => body,
        link => link,
    };
    Ok(Rendered {
        subject: words.get("confirm_subject"),
        text: render(
            "confirm.txt",
            CONFIRM_TEXT,
            AutoEscape::None,
            values.clone(),
        )?,
        html: render("confirm.html", CONFIRM_HTML, AutoEscape::Html, values)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digests::content::UpdatePosted;
    use crate::{
        accountability::compliance::{Alert, AlertKind},
        awareness::figures,
    };

    #[test]
    fn every_language_has_every_phrase_of_english() {
        let english = STRINGS.get("en");
        assert!(english.is_some_and(|phrases| phrases.len() > 30));
        for (language, strings) in STRINGS.iter() {
            for key in english.into_iter().flat_map(HashMap::keys) {
                assert!(strings.contains_key(key), "{language} lacks {key}");
            }
        }
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap_or_default()
    }

    /// MO0018 with 12 new comments, one awaiting for 8 days, a milestone
    /// due in 10 days, one overdue, and awareness up on the week before.
    fn fixture() -> Digest {
        let comment = |id: i64, body: &str| Item {
            id,
            kind: "question".to_owned(),
            excerpt: body.to_owned(),
            author_name: None,
            created_at: at("2026-11-21T10:00:00Z"),
        };
        let newest = (3..=12)
            .rev()
            .map(|id| comment(id, &format!("Comment {id}")))
            .collect();
        Digest {
            since: at("2026-11-23T08:00:00Z"),
            until: at("2026-11-30T08:00:00Z"),
            alerts: vec![Alert {
                kind: AlertKind::MilestonesOverdue,
                commitment: Some((18, "MO0018".to_owned())),
                count: Some(1),
                since: Some(day("2026-11-01")),
                message:
                    "1 milestone of MO0018 is past its end date without evidence of completion."
                        .to_owned(),
            }],
            commitments: vec![CommitmentNews {
                code: "MO0018".to_owned(),
                title: "Communicating about OGP".to_owned(),
                new_by_kind: vec![("concern".to_owned(), 2), ("question".to_owned(), 10)],
                new_feedback: 12,
                newest,
                awaiting: vec![comment(1, "When? <b>now</b>")],
                awaiting_total: 1,
                due_soon: vec![MilestoneDue {
                    position: 2,
                    title: "Launch the campaign".to_owned(),
                    end: day("2026-12-10"),
                }],
                overdue: vec![MilestoneDue {
                    position: 1,
                    title: "Write the plan".to_owned(),
                    end: day("2026-10-31"),
                }],
                milestones_changed: false,
                awareness: Awareness {
                    current: figures::PeriodFigures {
                        reach: 1500,
                        responses: 40,
                        aware: 10,
                        ..Default::default()
                    },
                    previous: figures::PeriodFigures {
                        reach: 900,
                        responses: 0,
                        aware: 0,
                        ..Default::default()
                    },
                },
                updates: vec![UpdatePosted {
                    date: day("2026-11-25"),
                    status: "limited".to_owned(),
                    milestone_position: Some(2),
                    evidence: 1,
                }],
                decisions: vec![("adopted".to_owned(), 2), ("not_adopted".to_owned(), 1)],
            }],
        }
    }

    fn addressee(language: &str) -> Addressee<'_> {
        Addressee {
            name: "Ms Amal ALAMI",
            language,
            frequency: Frequency::Weekly,
            zone: chrono_tz::Africa::Casablanca,
        }
    }

    #[test]
    fn a_digest_lists_each_section_in_text_and_html() {
        let email = digest(
            &fixture(),
            &addressee("en"),
            "https://pulse.example.org/",
            "https://pulse.example.org/unsubscribe?token=abc",
        );
        let Ok(email) = email else {
            panic!("renders: {email:?}");
        };
        assert_eq!(
            email.subject,
            "MO0018: 12 new comments, 1 awaiting your response — week of 23 Nov 2026"
        );
        let text = &email.text;
        for expected in [
            "== MO0018: Communicating about OGP ==",
            "New feedback (2 concern, 10 question)",
            "- [question] Comment 12\n  https://pulse.example.org/commitments/MO0018#feedback-12",
            "and 2 more: https://pulse.example.org/commitments/MO0018/feedback",
            "- [question, waiting 8 days] When? <b>now</b>",
            "Milestone 2: Launch the campaign (ends 10 Dec 2026)",
            "Milestone 1: Write the plan (ended 31 Oct 2026)",
            "- People reached: 1500 (previous period: 900)",
            "- Aware of the commitment: 25% (previous period: –)",
            "Implementation updates published (1)\n- 2026-11-25 (Milestone 2): Limited, 1 piece of evidence",
            "Responses given: Adopted: 2, Not adopted: 1",
            "Stop these digests: https://pulse.example.org/unsubscribe?token=abc",
        ] {
            assert!(
                text.contains(expected),
                "{expected:?} missing from:\n{text}"
            );
        }
        assert!(
            !text.contains("Comment 2\n"),
            "only the newest 10 are listed"
        );
        let alerts = text.find("Compliance alerts\n- 1 milestone of MO0018 is past its end date");
        let feedback = text.find("New feedback");
        assert!(
            matches!((alerts, feedback), (Some(a), Some(f)) if a < f),
            "compliance alerts come first:\n{text}"
        );
        let html = &email.html;
        assert!(
            html.contains("When? &lt;b&gt;now&lt;&#x2f;b&gt;")
                || html.contains("When? &lt;b&gt;now&lt;/b&gt;"),
            "{html}"
        );
        assert!(!html.contains("<b>now"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://pulse.example.org/commitments/MO0018/feedback">and 2 more</a>"#
            ),
            "{html}"
        );
    }

    #[test]
    fn a_french_subscriber_reads_french_headings() {
        let email = digest(
            &fixture(),
            &addressee("fr"),
            "https://p.example",
            "https://p.example/u",
        );
        let Ok(email) = email else {
            panic!("renders: {email:?}");
        };
        assert_eq!(
            email.subject,
            "MO0018: 12 nouveaux commentaires, 1 en attente de votre réponse — semaine du 23 nov. 2026"
        );
        assert!(
            email
                .text
                .contains("Nouveaux avis (2 préoccupation, 10 question)"),
            "{}",
            email.text
        );
        assert!(email.html.contains("lang=\"fr\""), "{}", email.html);
    }

    #[test]
    fn dates_and_counts_read_naturally() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        let en = Words::of("en");
        assert_eq!(en.with_date("subject_weekly", day), "week of 23 Nov 2026");
        assert_eq!(en.count("subject_new", 1), "1 new comment");
        assert_eq!(en.count("subject_new", 7), "7 new comments");
        let fr = Words::of("fr");
        assert_eq!(
            fr.with_date("subject_weekly", day),
            "semaine du 23 nov. 2026"
        );
        assert_eq!(Words::of("xx").get("hello"), "Hello");
    }
}
