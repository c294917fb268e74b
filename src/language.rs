//! Which language a client reads, and how a translated text is chosen.
//!
//! Fallback, in order (documented in the README and the schema):
//! 1. the languages the client asked for, most preferred first: the `lang`
//!    URL parameter if given, else the `Accept-Language` header; a regional
//!    tag such as `fr-MA` also matches plain `fr`;
//! 2. the default language (English, the OGP's working language, unless
//!    configured otherwise);
//! 3. any language the text exists in, in alphabetical order of the code, so
//!    that the answer is always the same.

use std::fmt;

/// An ISO 639 language code as stored: two or three lowercase ASCII letters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Language(String);

impl Language {
    /// Parses a language code or a BCP 47 tag, keeping only its primary
    /// language subtag (`fr-MA` → `fr`).
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?;
        let valid =
            (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
        valid.then(|| Self(primary.to_ascii_lowercase()))
    }

    /// Parses a code exactly as it must be stored (`en`, `fr`, `ar`), refusing
    /// regional tags and upper case so that stored data stays canonical.
    pub fn parse_canonical(code: &str) -> Option<Self> {
        Self::parse(code).filter(|language| language.0 == code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn english() -> Self {
        Self("en".to_owned())
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The languages one request prefers, most preferred first, already followed
/// by the default language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanguagePreference {
    ordered: Vec<Language>,
}

impl LanguagePreference {
    /// Builds the preference of a request: `override_param` (the `lang` URL
    /// parameter, a comma-separated list) wins over the `Accept-Language`
    /// header; unknown or malformed tags are ignored rather than refused,
    /// because browsers send what they send.
    pub fn negotiate(
        override_param: Option<&str>,
        accept_language: Option<&str>,
        default: &Language,
    ) -> Self {
        let requested: Vec<String> = match (override_param, accept_language) {
            (Some(list), _) if !list.trim().is_empty() => {
                list.split(',').map(|tag| tag.trim().to_owned()).collect()
            }
            (_, Some(header)) => accept_language::parse(header),
            _ => Vec::new(),
        };
        let mut ordered: Vec<Language> = Vec::new();
        for language in requested
            .iter()
            .filter_map(|tag| Language::parse(tag))
            .chain(std::iter::once(default.clone()))
        {
            if !ordered.contains(&language) {
                ordered.push(language);
            }
        }
        Self { ordered }
    }

    pub fn only(default: &Language) -> Self {
        Self {
            ordered: vec![default.clone()],
        }
    }

    pub fn languages(&self) -> &[Language] {
        &self.ordered
    }

    /// Picks, among the translations of one record, the best text of one field:
    /// the first preferred language whose translation has that field, else any
    /// translation that has it (alphabetically by language).
    pub fn pick<'a, T, V: ?Sized>(
        &self,
        translations: &'a [T],
        language_of: impl Fn(&T) -> &str,
        field: impl Fn(&'a T) -> Option<&'a V>,
    ) -> Option<Translated<'a, V>> {
        let in_language = |language: &str| {
            translations
                .iter()
                .filter(|t| language_of(t) == language)
                .find_map(|t| field(t).map(|value| (t, value)))
        };
        let preferred = self
            .ordered
            .iter()
            .find_map(|language| in_language(language.as_str()));
        let chosen = preferred.or_else(|| {
            translations
                .iter()
                .filter_map(|t| field(t).map(|value| (t, value)))
                .min_by(|(a, _), (b, _)| language_of(a).cmp(language_of(b)))
        });
        chosen.map(|(translation, value)| Translated {
            value,
            language: language_of(translation).to_owned(),
        })
    }
}

/// A text together with the language it was found in, which may differ from
/// the one asked for when the fallback was used.
#[derive(Debug, PartialEq, Eq)]
pub struct Translated<'a, V: ?Sized> {
    pub value: &'a V,
    pub language: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Row {
        language: &'static str,
        title: Option<&'static str>,
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                language: "fr",
                title: Some("Titre"),
            },
            Row {
                language: "en",
                title: Some("Title"),
            },
            Row {
                language: "ar",
                title: None,
            },
        ]
    }

    fn pick(preference: &LanguagePreference) -> Option<(String, String)> {
        let rows = rows();
        preference
            .pick(&rows, |r| r.language, |r| r.title)
            .map(|t| (t.value.to_owned(), t.language))
    }

    #[test]
    fn parses_tags_to_primary_subtag() {
        assert_eq!(Language::parse("fr-MA").map(|l| l.0), Some("fr".into()));
        assert_eq!(Language::parse("AR").map(|l| l.0), Some("ar".into()));
        assert_eq!(Language::parse("english"), None);
        assert_eq!(Language::parse("*"), None);
        assert_eq!(Language::parse_canonical("fr-MA"), None);
        assert!(Language::parse_canonical("fr").is_some());
    }

    #[test]
    fn accept_language_order_is_respected() {
        let preference = LanguagePreference::negotiate(
            None,
            Some("en;q=0.5, fr-FR;q=0.9"),
            &Language::english(),
        );
        assert_eq!(pick(&preference), Some(("Titre".into(), "fr".into())));
    }

    #[test]
    fn override_wins_over_header() {
        let preference =
            LanguagePreference::negotiate(Some("en"), Some("fr"), &Language::english());
        assert_eq!(pick(&preference), Some(("Title".into(), "en".into())));
    }

    #[test]
    fn missing_field_falls_back_to_default_then_any() {
        let preference = LanguagePreference::negotiate(Some("ar"), None, &Language::english());
        assert_eq!(pick(&preference), Some(("Title".into(), "en".into())));
        let no_english = LanguagePreference::only(&Language("es".into()));
        // Spanish is the only preference and missing: the alphabetical fallback
        // skips "ar" (no title there) and takes "en" before "fr".
        assert_eq!(pick(&no_english), Some(("Title".into(), "en".into())));
    }
}
