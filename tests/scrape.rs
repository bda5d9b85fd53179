//! Article scraping end to end: a feed of teasers on a loopback server, the
//! article pages beside it (one a seed-like Chinese page in unlabelled GBK
//! with a wrong `<title>`, a repeated teaser, credits and a related-links
//! list), through the pipeline into the store and the merged feed.

mod common;

use std::sync::Arc;

use common::{Fixture, FixtureServer, TestDb, rss, source, write_config};
use feedfold::config::Config;
use feedfold::daemon::Pipeline;

const TITLE: &str = "市四套班子领导分赴各地,督查基层疫情防控工作落实情况";
const LEAD: &str = "连日来,陈伟俊、姚高员、葛益平、陈作荣、陈浩等市四套班子领导,分赴我市12个县(市、区)和瓯江口产业集聚区、浙南产业集聚区,开展疫情防控督导检查,确保实现“奋战十天、拿下拐点”的攻坚目标。";
const SECOND: &str = "继前两天赴鹿城、龙湾、瓯海、乐清等地明察暗访后,昨天下午,市委书记陈伟俊深入我市平阳、瑞安部分道路、企业、公共场所,再次督查疫情防控工作落实情况。下午3时许,陈伟俊一行来到甬台温高速平阳入口。";
const THIRD: &str = "昨天上午,市委副书记、市长姚高员先后来到温州东高速口、龙湾国际机场和动车南站,重点督查主要出入口设卡检查、临时留观点设置等情况。他指出,高速口、机场和动车站,是做好疫情防控的关键所在。";

/// The seed page, as a site serves it: GBK bytes, no charset anywhere.
fn seed_page() -> Vec<u8> {
    let related: String = [
        "贵州大方:众志成城抗疫情",
        "市民无偿献血助力春城战胜疫情",
        "北京小汤山医院启动修缮工程 视疫情变化随时启用",
        "人力资源社会保障部:切实关心激励表彰疫情防控人员",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| format!("<li>-<a href='/news/{i}.html'>{t}</a><span>2024-08-19</span></li>"))
    .collect();
    let html = format!(
        "<html><head><title>国家发展改革委等部门关于印发《电解铝行业节能降碳专项行动计划》的通知</title>\
         <meta name='publishdate' content='2020-02-01 08:30'></head><body>\
         <div class='nav'><a href='/'>首页</a> <a href='/news'>新闻</a> <a href='/city'>本地</a></div>\
         <div class='content'><h1>{TITLE}</h1>\
         <p class='summary'>{TITLE}连日来,陈伟俊、姚高员、葛益平、陈作荣、陈浩等市四套班子领导,分赴我市12个县</p>\
         <p>{LEAD}</p><p>{SECOND}</p><p>{THIRD}</p>\
         <p>来源:温州日报全媒体</p><p>温州日报全媒体记者:林明 郑序</p><p>摄影:陈翔</p>\
         <p>编辑:陈迪</p><p>监制:吴栋梁 刘宏宇 刘曜</p><p>新闻监督热线:0577-88096821、88096875</p>\
         <ul class='related'>{related}</ul></div>\
         <div class='footer'>版权所有 温州网 浙ICP备12345678号</div></body></html>"
    );
    encoding_rs::GBK.encode(&html).0.into_owned()
}

fn english_page() -> Vec<u8> {
    let paragraphs: String = (1..=4)
        .map(|n| format!("<p>Paragraph {n}: dock workers at the container terminal voted on Sunday night to accept a revised pay offer, ending a twelve-day strike that left ships anchored offshore.</p>"))
        .collect();
    format!(
        "<html><head><title>Port strike ends - Harbour Wire</title></head><body>\
         <nav><a href='/'>Home</a></nav><div class='story'>{paragraphs}<p class='ad'>Advertisement: buy a boat today, ships anchored offshore for sale.</p></div>\
         <aside><p>Other news: a lighthouse grant was announced on Monday by the council.</p></aside></body></html>"
    )
    .into_bytes()
}

fn page(body: Vec<u8>) -> Fixture {
    Fixture {
        content_type: "text/html",
        ..Fixture::feed(body)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teasers_are_replaced_by_the_scraped_story_and_failures_keep_the_feed_text() {
    let server = FixtureServer::start().await;
    server.set("seed.html", page(seed_page()));
    server.set("port.html", page(english_page()));
    server.set("gone.html", Fixture::status(404));
    let items = [
        (
            "s-1",
            TITLE,
            server.url("seed.html"),
            "连日来,市四套班子领导分赴各地督查…",
        ),
        (
            "s-2",
            "Port strike ends",
            server.url("port.html"),
            "Dock workers voted…",
        ),
        (
            "s-3",
            "Missing page",
            server.url("gone.html"),
            "The feed's own teaser.",
        ),
    ];
    let items: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(g, t, l, d)| (*g, *t, l.as_str(), *d))
        .collect();
    for db in TestDb::all().await {
        server.set("feed.xml", Fixture::feed(rss("Wire", &items)));
        let dir = tempfile::tempdir().unwrap();
        let sources = source(
            "wire",
            &server.url("feed.xml"),
            "scrape = \"auto\"\nremove_selectors = [\".ad\"]",
        );
        let path = write_config(dir.path(), &db.url, &sources);
        let pipeline = Pipeline::new(Arc::new(Config::load(&path).unwrap()))
            .await
            .unwrap();
        let outcome = pipeline.run_source("wire").await;
        assert!(outcome.result.is_ok(), "{:?}", outcome.result);

        let stories = pipeline.store().recent_stories(0, 100, None).await.unwrap();
        let copy = |guid: &str| {
            stories
                .iter()
                .flat_map(|s| &s.copies)
                .find(|c| c.guid == guid)
                .cloned()
                .unwrap_or_else(|| panic!("{guid} stored"))
        };
        let seed = copy("s-1");
        let text = feedfold::extract::html_to_text(seed.content.as_deref().unwrap());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines, [LEAD, SECOND, THIRD], "{}: {text}", db.url);
        assert_eq!(
            seed.summary.as_deref(),
            Some("连日来,市四套班子领导分赴各地督查…")
        );

        let port = copy("s-2");
        let text = feedfold::extract::html_to_text(port.content.as_deref().unwrap());
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(
            !text.contains("Advertisement") && !text.contains("lighthouse"),
            "{text}"
        );

        let missing = copy("s-3");
        assert_eq!(missing.content, None);
        assert_eq!(missing.summary.as_deref(), Some("The feed's own teaser."));

        let urls = [server.url("seed.html"), server.url("gone.html")];
        let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
        let cached = pipeline.store().articles(&urls).await.unwrap();
        let seed_record = cached[urls[0]].outcome.as_ref().unwrap();
        assert_eq!(
            seed_record.title, TITLE,
            "the <title> belongs to another story"
        );
        assert!(!seed_record.strategy.is_empty() && !seed_record.reason.is_empty());
        assert_eq!(
            seed_record.published,
            Some(1_580_517_000),
            "2020-02-01 08:30 +08:00"
        );
        let failed = cached[urls[1]].outcome.as_ref().unwrap_err();
        assert!(failed.contains("404"), "{failed}");
        assert_eq!(cached[urls[1]].status, Some(404));

        let metrics = pipeline.metrics().encode();
        assert!(
            metrics.contains(r#"feedfold_articles_total{result="failed",strategy="none"} 1"#),
            "{metrics}"
        );
        assert!(metrics.contains(r#"result="scraped""#), "{metrics}");

        // Cached: a second pass fetches no article page again.
        let before = server.hits("seed.html") + server.hits("gone.html");
        server.set("feed.xml", Fixture::feed(rss("Wire", &items[..2])));
        pipeline.run_source("wire").await.result.unwrap();
        assert_eq!(server.hits("seed.html") + server.hits("gone.html"), before);
        pipeline.store().close().await;
        db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_selector_wins_and_scrape_false_fetches_nothing() {
    let server = FixtureServer::start().await;
    server.set("port.html", page(english_page()));
    let link = server.url("port.html");
    let items = [("p-1", "Port strike ends", link.as_str(), "Teaser.")];
    server.set("a.xml", Fixture::feed(rss("A", &items)));
    server.set("b.xml", Fixture::feed(rss("B", &items)));
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        source(
            "a",
            &server.url("a.xml"),
            "scrape = true\ncontent_selector = \"aside p\"",
        ),
        source("b", &server.url("b.xml"), "scrape = false"),
    ]
    .concat();
    let path = write_config(dir.path(), &db.url, &sources);
    let pipeline = Pipeline::new(Arc::new(Config::load(&path).unwrap()))
        .await
        .unwrap();
    pipeline.run_source("b").await.result.unwrap();
    assert_eq!(server.hits("port.html"), 0);
    pipeline.run_source("a").await.result.unwrap();
    let cached = pipeline.store().articles(&[link.as_str()]).await.unwrap();
    let record = cached[link.as_str()].outcome.as_ref().unwrap();
    assert_eq!(record.strategy, "selector");
    assert_eq!(
        record.text,
        "Other news: a lighthouse grant was announced on Monday by the council."
    );
    pipeline.store().close().await;

    let explained = std::process::Command::new(env!("CARGO_BIN_EXE_feedfold"))
        .args(["explain", "--config"])
        .arg(&path)
        .arg("a:p-1")
        .output()
        .unwrap();
    let explained = String::from_utf8_lossy(&explained.stdout);
    assert!(
        explained.contains(
            "article scraped: 70 chars by selector (the source's content_selector matched)"
        ),
        "{explained}"
    );
}

#[test]
fn a_bad_selector_is_a_config_error_naming_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let sources = source(
        "a",
        "https://example.org/feed.xml",
        "content_selector = \"div[[\"",
    );
    let path = write_config(dir.path(), "sqlite://x.db", &sources);
    let error = Config::load(&path).unwrap_err().to_string();
    assert!(
        error.contains("source \"a\": bad CSS selector \"div[[\""),
        "{error}"
    );
}
