//! Share, print, font-size and comment widgets: short paragraphs made only
//! of widget words ("分享到： 微信 微博 QQ空间", "Share Tweet Email").

use super::{Context, Rule, is_separator_only};
use crate::extract::blocks::Block;

/// Drops widget paragraphs and paragraphs of separators alone.
pub(crate) struct Widgets;

const WORDS: &[&str] = &[
    "分享",
    "分享到",
    "分享至",
    "微信",
    "微博",
    "新浪微博",
    "腾讯微博",
    "qq",
    "qq空间",
    "朋友圈",
    "豆瓣",
    "人人网",
    "打印",
    "打印本页",
    "关闭",
    "关闭窗口",
    "收藏",
    "点赞",
    "赞",
    "评论",
    "举报",
    "字号",
    "大",
    "中",
    "小",
    "默认",
    "返回顶部",
    "回到顶部",
    "返回首页",
    "扫一扫",
    "扫码",
    "手机看",
    "复制链接",
    "纠错",
    "我要纠错",
    "关注",
    "已关注",
    "订阅",
    "知道了",
    "图集",
    "昨天",
    "今天",
    "前天",
    "媒体报道",
    "自动播放",
    "展开全文",
    "收起",
    "share",
    "shares",
    "tweet",
    "facebook",
    "twitter",
    "linkedin",
    "email",
    "e-mail",
    "print",
    "comment",
    "comments",
    "whatsapp",
    "reddit",
    "pinterest",
    "copy",
    "link",
    "copied",
    "save",
    "x",
    "messenger",
    "telegram",
    "flipboard",
    "this",
    "article",
    "on",
    "story",
    "via",
    "opens",
    "in",
    "new",
    "window",
    "tab",
    "share this",
];

impl Rule for Widgets {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        for (block, keep) in blocks.iter().zip(keep.iter_mut()) {
            if is_separator_only(&block.text) || is_widget(&block.text) {
                *keep = false;
            }
        }
    }
}

fn is_widget(text: &str) -> bool {
    if text.chars().count() > 60 {
        return false;
    }
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || (!c.is_alphanumeric() && c != '-'))
        .filter(|w| !w.is_empty())
        .collect();
    // Counts ("12 Comments") may come with the words, but a row of numbers
    // alone is a table's, not a widget.
    words.iter().any(|w| WORDS.contains(w))
        && words
            .iter()
            .all(|w| WORDS.contains(w) || w.parse::<u32>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn widget_rows_go_sentences_using_the_words_stay() {
        let blocks = [
            block("分享到： 微信 微博 QQ空间", 0),
            block("Share this article: Facebook | Twitter | Email", 0),
            block("字号：大 中 小 【打印】【关闭】", 0),
            block("-", 0),
            block("12 Comments", 0),
            block("Share prices fell on Monday.", 0),
            block("他在微信上说，会议推迟。", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Widgets.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(
            kept(&blocks, &keep),
            ["Share prices fell on Monday.", "他在微信上说，会议推迟。"]
        );
    }
}
