//! Credit, source, hotline and copyright lines ("来源：温州日报全媒体",
//! "责任编辑：陈迪", "新闻监督热线：0577-…", "(Reporting by …; Editing by
//! …)"), and the tail they start: once the credits of the last part of a
//! story begin, what follows is page furniture unless it is prose.

use std::sync::LazyLock;

use regex::Regex;

use crate::extract::built_in;

use super::{Context, Rule, is_prose};
use crate::extract::blocks::Block;

/// Drops credit lines.
pub(crate) struct Credits;

/// Drops the page furniture after the closing credits or a "related"
/// heading.
pub(crate) struct Tail;

/// Lines that are credits whatever follows the keyword (short lines only).
static HARD: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?ix)^(?:
            责任编辑|责编|执行编辑|值班编辑|实习编辑|编审|监制|总监制|制片人|主编|总编辑|
            新闻监督热线|新闻热线|报料热线|举报电话|原标题|本文原标题|原题为|原题：|版权声明|免责声明|
            特别声明|郑重声明|(?:文章)?关键词\s*[:：]|标签\s*[:：]|tags?\s*:|
            转载请注明|未经授权|本文系|本文为|本文来自|本文转自|图片来源|视频来源|文章来源|本文来源|
            新闻来源|稿件来源|资料来源|信息来源|纠错|我要纠错|声明\s*[:：]|
            实习生[^。，]{0,12}贡献|
            (?:additional\s+)?reporting\s+by|writing\s+by|editing\s+by|edited\s+by|
            compiled\s+by|produced\s+by|copyright\b|all\s+rights\s+reserved|
            this\s+(?:story|article)\s+(?:was|has\s+been)\s+(?:originally|first|updated|corrected)|
            ©
        )",
    )
});

/// Keywords that are credits only when a separator and a short name
/// follow ("记者：林明", "文/张三", "Photo: Reuters").
static SOFT: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?ix)^(?:
            (?:本报|本台|本刊|新华社|中新社|中新网|央视|人民网|新华网)?(?:特约)?(?:记者|通讯员|实习生)|
            来源|稿源|出处|编辑|作者|撰文|撰稿|采写|执笔|原创|文字|文/图|图/文|文|图|图文|摄|摄影|
            摄像|视频|剪辑|海报|设计|
            策划|统筹|出品|出品人|审核|审校|校对|初审|复审|终审|翻译|编译|发布|发布时间|发布日期|
            时间|日期|更新时间|
            source|photo|photos|photograph|image|images|credit|credits|by|author|
            published|updated|posted|contact
        )\s*(?:[:：|丨/｜]|\s)",
    )
});

/// A reporter credited with the outlet first ("温州日报全媒体记者:林明",
/// "新京报记者 陆一夫").
static REPORTER: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"^\S{0,12}?(?:见习|实习|特约)?(?:记者|通讯员|实习生|编辑)(?:\s*[:：|丨]|(?:\s*\p{Han}{2,4}){1,4}$)",
    )
});

/// Several credits on one line ("…供稿 摄影/张艳 编辑/苏芳").
static CREDIT_MARK: LazyLock<Regex> = LazyLock::new(|| {
    built_in(r"(?:编辑|摄影|记者|作者|校对|审核|监制|供稿|来源|撰文|通讯员|文|图)\s*[/:：|丨]")
});

/// "图片均来自网络", "信息来源于网络".
static FROM_THE_WEB: LazyLock<Regex> =
    LazyLock::new(|| built_in(r"(?:均)?来[自源]于?(?:网络|互联网)[。.]?$|供稿[。.]?$"));

/// Headings that open a related-stories section.
static RELATED: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"(?ix)^(?:
            相关阅读|相关新闻|相关链接|相关文章|相关报道|相关推荐|相关内容|相关资讯|相关专题|推荐阅读|
            此前报道|延伸\s*[·・]\s*推荐|为您推荐|为你推荐|
            延伸阅读|热门推荐|热门文章|热点新闻|热门新闻|猜你喜欢|APP精彩推荐|精彩图片|图片推荐|
            更多精彩|往期回顾|精彩推荐|热点推荐|为你推荐|上一篇|下一篇|上一条|下一条|
            related(?:\s+(?:articles?|stories|content|coverage|reading|news))?|
            read\s+(?:more|next|also)|see\s+also|more\s+(?:from|on|stories|news)|
            recommended(?:\s+for\s+you)?|you\s+may\s+also\s+like|most\s+(?:read|popular)|
            trending|previous\s+(?:article|story|post)|next\s+(?:article|story|post)|
            sign\s+up|subscribe
        )\s*(?:[:：|丨>»]|$|\s)",
    )
});

/// A leading date and time ("2024-08-19 10:30", "2024年8月19日"), which
/// often comes before "来源：…" on one line.
static LEADING_DATE: LazyLock<Regex> = LazyLock::new(|| {
    built_in(
        r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?\s*",
    )
});

/// Characters that end or split a sentence: a line holding them is prose,
/// not a credit.
const SENTENCE: &[char] = &['，', '。', '！', '？', '；', ',', '!', '?', ';'];

impl Rule for Credits {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        for (block, keep) in blocks.iter().zip(keep.iter_mut()) {
            if is_credit(&block.text) {
                *keep = false;
            }
        }
    }
}

/// Opening brackets and markers before a credit ("【责任编辑：…】").
fn trim_opening(text: &str) -> &str {
    text.trim_start_matches(|c: char| c.is_whitespace() || "（(【[「〔《<-—–·•*|丨".contains(c))
}

pub(super) fn is_credit(text: &str) -> bool {
    let text = trim_opening(text);
    let text = LEADING_DATE.find(text).map_or(text, |m| &text[m.end()..]);
    let text = trim_opening(text);
    let length = text.chars().count();
    if length == 0 {
        return false;
    }
    if HARD.is_match(text) {
        return length <= 160;
    }
    if length <= 80 && CREDIT_MARK.find_iter(text).count() >= 2 {
        return true;
    }
    if length <= 40 && FROM_THE_WEB.is_match(text) {
        return true;
    }
    let Some(found) = SOFT.find(text).or_else(|| REPORTER.find(text)) else {
        return false;
    };
    // "记者从市卫健委获悉，…" is a sentence; "记者 林明 郑序" is a credit.
    let rest = text[found.end()..].trim_end_matches(|c: char| "）)】]」〕》".contains(c));
    if found.as_str().trim_end().eq_ignore_ascii_case("by") && !is_names(rest) {
        return false;
    }
    length <= 60 && !rest.trim_end_matches(['。', '.']).contains(SENTENCE) && !rest.contains(". ")
}

/// "Jane Doe and John Smith": a byline's names, not "by changesets".
fn is_names(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    (1..=8).contains(&words.len())
        && words.iter().all(|w| {
            w.starts_with(|c: char| c.is_uppercase())
                || matches!(*w, "and" | "&" | "," | "de" | "van" | "von" | "in")
        })
}

pub(super) fn is_related_heading(text: &str) -> bool {
    let text = trim_opening(text);
    text.chars().count() <= 40 && RELATED.is_match(text)
}

impl Rule for Tail {
    fn apply(&self, blocks: &[Block], keep: &mut [bool], _: &Context<'_>) {
        let half = blocks.len() / 2;
        let Some(start) = (half..blocks.len())
            .find(|&i| is_related_heading(&blocks[i].text) || ends_credits(blocks, keep, i))
        else {
            return;
        };
        for (block, keep) in blocks.iter().zip(keep.iter_mut()).skip(start) {
            if !is_prose(block) {
                *keep = false;
            }
        }
    }
}

/// Whether paragraph `i` is a credit that the story's text does not go on
/// after: no prose among the kept paragraphs that follow.
fn ends_credits(blocks: &[Block], keep: &[bool], i: usize) -> bool {
    is_credit(&blocks[i].text)
        && !blocks[i + 1..]
            .iter()
            .zip(&keep[i + 1..])
            .any(|(b, k)| *k && is_prose(b))
}

#[cfg(test)]
mod tests {
    use super::super::{block, kept};
    use super::*;

    #[test]
    fn credit_lines_are_recognised() {
        for credit in [
            "来源:温州日报全媒体",
            "温州日报全媒体记者:林明 郑序",
            "摄影:陈翔",
            "编辑：陈迪",
            "监制:吴栋梁 刘宏宇 刘曜",
            "新闻监督热线:0577-88096821、88096875",
            "【责任编辑：张三】",
            "(责任编辑:李四)",
            "原标题：市四套班子领导分赴各地",
            "2024-08-19 10:30 来源：新华网",
            "本报记者 王五",
            "文/张三",
            "(Reporting by Jane Doe; Editing by John Smith)",
            "Additional reporting by A. Person in Paris",
            "© 2024 Harbour Wire. All rights reserved.",
            "Photo: Reuters",
            "新京报记者 陆一夫",
            "采写：南都见习记者 林子沛",
            "执笔/叨叨姐、胡一刀&李小飞刀",
            "（资料来源：参考消息、海外网等）",
            "图片均来自网络",
            "湖南省中医药研究院供稿 摄影/张艳 编辑/苏芳",
            "（实习生王金茹对此文亦有贡献）",
            "（原题为《共享充电宝涨价》）",
            "本文原标题：《广州新规》",
            "文章关键词：苹果 iPhone",
            "声明：证券时报力求信息真实、准确，文章提及内容仅供参考。",
        ] {
            assert!(is_credit(credit), "{credit}");
        }
        for prose in [
            "记者从市卫健委获悉，全市疫情防控形势总体平稳。",
            "编辑部收到了大量读者来信，询问此事进展。",
            "By the end of the week, the port had reopened.",
            "By changesets",
            "Source code for the tool was published on Monday, the company said.",
            "文化和旅游部日前发布通知。",
            "记者了解到，涉事项目的名称为龙湖天街。",
            "新京报讯（记者 陆一夫）11月25日，京东发布公告。",
            "长江网10月4日讯（记者陈智 整合）国庆假期首日，江城迎来客流高峰。",
        ] {
            assert!(!is_credit(prose), "{prose}");
        }
    }

    #[test]
    fn the_tail_after_closing_credits_goes_but_prose_before_stays() {
        let prose = "市政协主席陈作荣赴龙湾永中街道龙水社区、永中街道办事处、龙湾区第一人民医院、重点人员集中留观点，检查防疫举措落实到位情况。";
        let blocks = [
            block(prose, 0),
            block(prose, 0),
            block(prose, 0),
            block("来源:温州日报全媒体", 0),
            block("编辑:陈迪", 0),
            block("贵州大方:众志成城抗疫情", 0),
            block("市民无偿献血助力春城战胜疫情", 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Credits.apply(&blocks, &mut keep, &Context::default());
        Tail.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep), [prose, prose, prose]);
    }

    #[test]
    fn a_related_heading_cuts_what_follows_it() {
        let prose = "Dock workers at the container terminal voted on Sunday night to accept a revised pay offer, ending a twelve-day strike that left more than forty ships anchored offshore.";
        let blocks = [
            block(prose, 0),
            block(prose, 0),
            block("Related:", 0),
            block("Strike talks resume", 19),
            block(prose, 0),
        ];
        let mut keep = vec![true; blocks.len()];
        Tail.apply(&blocks, &mut keep, &Context::default());
        assert_eq!(kept(&blocks, &keep), [prose, prose, prose]);
    }
}
