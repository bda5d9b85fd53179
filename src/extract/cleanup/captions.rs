//! Image captions: photo credits ("（刘通摄）", "视觉中国 资料", "▲图片来自视频
//! 截图"), news photos' captions that end crediting an agency ("…
//! (REUTERS/Jose Miguel Gomez)") and short labels right under a picture
//! ("活动现场"). They describe the picture, not the story, and would skew
//! its fingerprint.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule};
use crate::extract::blocks::Block;

/// Drops captions.
pub(crate) struct Captions;

/// A caption that credits the picture, wherever it stands.
static CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?x)
        [（(][^（）()]{0,24}(?:摄|供图|资料图?|截图|图片来[自源][^）)]*)[）)][。.]?$
        | (?:^|\s)\S{2,12}\s*摄[。.]?$
        | (?:供图|视频截图|报道截图|资料图|视觉中国\s*资料?|图片来[自源]\S{0,12})[。.]?$
        | ^(?:资料图|图片来源|图源)
        | ^▲",
    )
});

/// A news photo's caption, which ends by crediting the picture to an agency
/// or photographer: "… on Monday. (REUTERS/Jose Miguel Gomez)", "(AP
/// Photo/Evan Vucci)", "(Photo by Jane Doe/Getty Images)". Copies of one
/// wire story carry different pictures, so their captions say different
/// things.
static AGENCY_CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?x)
        [(\[]\s*(?:
            (?:AP|AFP|REUTERS|Reuters|EPA|Getty\s+Images|Bloomberg|Xinhua|UPI|PA|dpa)
                (?:\s+Photos?)?\s*/\s*[^()\[\]/]{1,60}(?:/[^()\[\]/]{1,40})?
            | (?:AP|AFP|REUTERS|Reuters|EPA|Bloomberg|Xinhua|UPI|PA|dpa)\s+Photos?
            | (?i:photo(?:graph)?s?)(?:\s*:|\s+by|\s+courtesy\s+of)\s*[^()\[\]]{1,60}
        )[)\]]\.?$",
    )
});

/// Longest caption read by its agency credit: a caption is a few
/// sentences, a story paragraph that ends quoting a photo is longer.
const LONGEST_CAPTION: usize = 400;

/// Sentence punctuation: a label under a picture has none.
const SENTENCE: &[char] = &[
    '，', '。', '！', '？', '；', ',', '.', '!', '?', ';', ':', '：',
];

impl Rule for Captions {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        for (block, keep) in blocks.iter().zip(keep.iter_mut()) {
            let length = block.text.chars().count();
            let credit = (length <= 60 && CREDIT.is_match(&block.text))
                || (length <= LONGEST_CAPTION && AGENCY_CREDIT.is_match(&block.text));
            let label = block.after_image
                && !block.heading
                && length <= 30
                && !block.text.contains(SENTENCE);
            if credit || label {
                *keep = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn news_photo_captions_credited_to_an_agency_go() {
        let story = "Derby manager Paul Jewell has revealed he has almost completed a deal to sign the striker (Reuters reported on Monday).";
        let blocks = [
            block(
                "Firemen prepare a helicopter with Red Cross stickers at Villavicencio airport in Colombia, December 29, 2007. (REUTERS/Jose Miguel Gomez)",
                0,
            ),
            block(
                "A marquee announces a fundraiser at the Fox Theatre in Oakland, Calif., Monday, July 23. (AP Photo/Susan Walsh)",
                0,
            ),
            block(
                "The minister arrives for talks. (Photo by Jane Doe/Getty Images)",
                0,
            ),
            block("Crowds gathered outside the court. [AFP Photo]", 0),
            block(story, 0),
            block("Hospital Accounts Payable (AP)", 0),
            block("The agency's own report followed. (Reuters)", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Captions.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(
            kept(&blocks, &keep),
            [
                story,
                "Hospital Accounts Payable (AP)",
                "The agency's own report followed. (Reuters)"
            ]
        );
    }

    #[test]
    fn credits_and_labels_under_pictures_go() {
        let mut label = block("活动现场", 0);
        label.after_image = true;
        let mut note = block(
            "注：红色为所有车辆绕行线路图，蓝色仅为小型车辆绕行线路图。",
            0,
        );
        note.after_image = true;
        let story = "该片在重庆拍摄，预计明年上映。";
        let blocks = [
            block("图为启动仪式现场。（刘通摄）", 0),
            block("共享充电宝。视觉中国 资料", 0),
            block("▲图片来自视频截图。", 0),
            block("城市摄影队 周斌 摄", 0),
            label,
            note,
            block(story, 0),
            block("活动现场", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Captions.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(
            kept(&blocks, &keep),
            [
                "注：红色为所有车辆绕行线路图，蓝色仅为小型车辆绕行线路图。",
                story,
                "活动现场"
            ]
        );
    }
}
