//! Enclosures and categories as stored: JSON text columns, NULL for none.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::StoreError;
use crate::source::Enclosure;

/// The `enclosures` column's value for `enclosures`.
pub(super) fn enclosures_json(enclosures: &[Enclosure]) -> Option<String> {
    // Serialising strings and numbers cannot fail; were it to, the entry is
    // stored without its enclosures rather than not at all.
    (!enclosures.is_empty())
        .then(|| serde_json::to_string(enclosures).ok())
        .flatten()
}

/// The `categories` column's value for `categories`.
pub(super) fn categories_json(categories: &[String]) -> Option<String> {
    (!categories.is_empty())
        .then(|| serde_json::to_string(categories).ok())
        .flatten()
}

/// A row's `enclosures` column.
pub(super) fn enclosures_of(row: &AnyRow) -> Result<Vec<Enclosure>, StoreError> {
    Ok(decode(row.try_get("enclosures")?))
}

/// A row's `categories` column.
pub(super) fn categories_of(row: &AnyRow) -> Result<Vec<String>, StoreError> {
    Ok(decode(row.try_get("categories")?))
}

/// A stored JSON value, or the empty default. A value this version cannot
/// read (edited by hand, or written by a later version) costs the entry its
/// enclosures or categories, not the whole feed its publishing.
fn decode<T: serde::de::DeserializeOwned + Default>(text: Option<String>) -> T {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_null_and_values_round_trip() {
        assert_eq!(enclosures_json(&[]), None);
        assert_eq!(categories_json(&[]), None);
        let enclosures = vec![Enclosure {
            url: "https://example.org/a.mp3".into(),
            mime: Some("audio/mpeg".into()),
            length: Some(12),
        }];
        let stored = enclosures_json(&enclosures);
        assert_eq!(decode::<Vec<Enclosure>>(stored), enclosures);
        let categories = vec!["World".to_owned(), "港澳".to_owned()];
        assert_eq!(
            decode::<Vec<String>>(categories_json(&categories)),
            categories
        );
        assert_eq!(
            decode::<Vec<String>>(Some("{not json".into())),
            Vec::<String>::new()
        );
    }
}
