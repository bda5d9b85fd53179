//! Text cut into the tokens extraction compares candidates by: lowercased
//! words of spaced scripts, single characters of CJK text (which has no
//! spaces to cut at).

use crate::text::script::is_cjk;

/// The tokens of `text`, in order.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut latin = String::new();
        for c in word.chars() {
            if is_cjk(c) {
                if !latin.is_empty() {
                    tokens.push(std::mem::take(&mut latin));
                }
                tokens.push(c.to_string());
            } else {
                latin.extend(c.to_lowercase());
            }
        }
        if !latin.is_empty() {
            tokens.push(latin);
        }
    }
    tokens
}

/// Letters and digits only, lowercased: the key under which two texts that
/// differ only in case, spacing, punctuation or quotes are the same.
pub(crate) fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_and_cjk_cut_per_character() {
        assert_eq!(
            tokens("Port STRIKE: 港口罢工ends"),
            ["port", "strike", "港", "口", "罢", "工", "ends"]
        );
        assert!(tokens(" — ").is_empty());
    }
}
