//! Promotions inside the article: "【点击投票】", "点击查看更多", "下载…客户端",
//! "扫码关注", "Click here to …", "Sign up for our newsletter".

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule};
use crate::extract::blocks::Block;

/// Drops short promotional paragraphs.
pub(crate) struct Promotions;

static PROMO: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?ix)
        【点击[^】]{0,12}】
        | 点击(?:这里|此处|进入|查看|阅读原文|投票|下载|订阅|关注|收听|观看|看)
        | (?:下载|打开)\S{0,8}(?:app|客户端)
        | 扫码(?:关注|下载|收听|阅读)|长按(?:识别|二维码|关注)|关注(?:我们的)?(?:微信)?公众号
        | 欢迎(?:关注|转发|订阅)
        | 您的浏览器(?:暂时)?(?:无法|不支持)播放
        | ^自动播放 | ^视频[-－:：] | 返回\S{0,6}首页\s*>+$
        | \bclick\s+here\b|\bsign\s+up\s+for\b|\bsubscribe\s+to\s+(?:our|the)\b
        | \bdownload\s+(?:our|the)\s+app\b|\bfollow\s+us\s+on\b
        | \byour\s+browser\s+does\s+not\s+support\b",
    )
});

impl Rule for Promotions {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        for (block, keep) in blocks.iter().zip(keep.iter_mut()) {
            if block.text.chars().count() <= 80 && PROMO.is_match(&block.text) {
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
    fn promotions_go_news_about_them_stays() {
        let news = "铁路部门提醒广大旅客，请通过铁路12306官方网站和客户端购票，避免非正常渠道购票带来的风险，下载客户端时请认准官方渠道和铁路路徽标识，谨防山寨应用窃取个人信息，造成财产损失。相关部门表示，将持续打击非法售票行为，维护旅客合法权益。";
        let blocks = [
            block(
                "“2018十大经济年度人物评选”火热进行中！【点击投票】Pick你心目中的商业领袖",
                0,
            ),
            block("您的浏览器暂时无法播放此视频.", 0),
            block("Sign up for our morning newsletter.", 0),
            block(news, 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Promotions.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep), [news]);
    }
}
