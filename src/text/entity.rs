//! HTML's named character references (`&nbsp;`, `&eacute;`, `&hellip;`),
//! shared by the feed repairs and the markup scanner.

/// The characters of any HTML named entity (`name` without `&` and `;`).
pub fn named(name: &str) -> Option<(char, Option<char>)> {
    // The table's keys carry the `;` (its legacy forms without one are keys too).
    let key = format!("{name};");
    let &(first, second) = web_atoms::NAMED_ENTITIES.get(key.as_str())?;
    // Prefixes of longer names are in the table with a zero code point.
    let first = char::from_u32(first).filter(|&c| c != '\0')?;
    Some((first, char::from_u32(second).filter(|&c| c != '\0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_one_or_two_characters_and_prefixes_none() {
        assert_eq!(named("eacute"), Some(('é', None)));
        assert_eq!(named("nbsp"), Some(('\u{a0}', None)));
        assert_eq!(named("NotEqualTilde"), Some(('≂', Some('\u{338}'))));
        assert_eq!(named("nosuchentity"), None);
    }
}
