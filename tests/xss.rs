//! Hostile feed content (filter-evasion vectors in the style of OWASP's cheat
//! sheet) in item bodies, titles and links: nothing executable survives in
//! the Atom, RSS or JSON output or on the web page.

mod common;

use std::sync::Arc;

use common::{Fixture, FixtureServer, TestDb, source, write_config};
use feedfold::config::Config;
use feedfold::daemon::{self, Pipeline};
use feedfold::publish::{FeedMeta, Format, load_items, render, render_page};
use scraper::Html;

const VECTORS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<body onload=alert(1)>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<img src=\"javascript:alert(1)\">",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<form action=\"javascript:alert(1)\"><input type=submit></form>",
    "<button formaction=\"javascript:alert(1)\">x</button>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<link rel=\"stylesheet\" href=\"javascript:alert(1)\">",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<svg><script>alert(1)</script></svg>",
    "<img src=x:alert(1) onerror=eval(src)>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<video><source onerror=\"alert(1)\"></video>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "\"><script>alert(1)</script>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<object data=\"data:text/html,<script>alert(1)</script>\"></object>",
];

/// Titles as written inside `<title>…</title>` of an RSS item: markup that
/// only appears after one or more decoding steps, in mixed case and as
/// numeric references.
const TITLE_VECTORS: &[&str] = &[
    "Hi &amp;LT;img src=x onerror=alert(1)&amp;GT; there",
    "&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;",
    "&amp;#60;img src=x onerror=alert(1)&amp;#62;",
    "&amp;#x3C;svg onload=alert(1)&amp;#x3E;",
    "&amp;#X3c;iframe src=javascript:alert(1)&amp;#X3e;",
    "&#60;img src=x onerror=alert(1)&#62;",
    "&lt;IMG SRC=x OnErRoR=alert(1)&gt;",
    "&amp;amp;lt;img src=x onerror=alert(1)&amp;amp;gt;",
    "<![CDATA[&LT;iMg SrC=x OnErRoR=alert(1)&GT;]]>",
    "<![CDATA[<b>bold</b> &lt;img src=x onerror=alert(1)&gt;]]>",
    "&amp;lt;&amp;lt;script&amp;gt;script&amp;gt;alert(1)",
];

/// Whether a `<` in `text` starts a tag, as a reader rendering the title as
/// HTML would take it.
fn has_tag(text: &str) -> bool {
    text.match_indices('<').any(|(at, _)| {
        text[at + 1..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'))
    })
}

const FORBIDDEN_ELEMENTS: &[&str] = &[
    "script", "style", "iframe", "frame", "form", "input", "button", "object", "embed", "svg",
    "math", "meta", "base", "link", "noscript", "template",
];

/// Every element and attribute of an HTML fragment that could run code.
fn dangers(html: &str) -> Vec<String> {
    let doc = Html::parse_fragment(html);
    let mut found = Vec::new();
    for node in doc.root_element().descendants() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        if FORBIDDEN_ELEMENTS.contains(&el.name()) {
            found.push(format!("<{}>", el.name()));
        }
        for (name, value) in el.attrs() {
            let value: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && !c.is_control())
                .collect();
            let value = value.to_ascii_lowercase();
            if name.starts_with("on") || name == "style" || name == "srcdoc" || name == "formaction"
            {
                found.push(format!("{} attribute", name));
            }
            if ["javascript:", "vbscript:", "data:"]
                .iter()
                .any(|s| value.starts_with(s))
            {
                found.push(format!("{name}={value}"));
            }
        }
    }
    found
}

fn rss_with_vectors(base: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut out =
        String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>x</title>\n");
    for (i, v) in VECTORS.iter().enumerate() {
        // Bodies carry the vector as HTML; titles and links carry it too.
        let link = if i % 3 == 0 {
            "javascript:alert(1)".to_owned()
        } else {
            format!("{base}/story/{i}")
        };
        out.push_str(&format!(
            "<item><guid>g{i}</guid><title>Story {i} {}</title><link>{}</link><description><![CDATA[<p>Body {i}</p>{v}]]></description></item>\n",
            escape(v),
            escape(&link)
        ));
    }
    for (i, title) in TITLE_VECTORS.iter().enumerate() {
        out.push_str(&format!(
            "<item><guid>t{i}</guid><title>Title {i} {title}</title><link>{base}/title/{i}</link><description>Plain body {i}.</description></item>\n"
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

#[tokio::test]
async fn no_vector_survives_in_any_output() {
    assert!(VECTORS.len() >= 30);
    let server = FixtureServer::start().await;
    server.set(
        "x.xml",
        Fixture::feed(rss_with_vectors("https://evil.example.org")),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let path = write_config(
        dir.path(),
        &db.url,
        &source("hostile", &server.url("x.xml"), ""),
    );
    let config = Arc::new(Config::load(&path).unwrap());
    let pipeline = Pipeline::new(config.clone()).await.unwrap();
    let outcomes = daemon::fetch_pass(&pipeline, None).await.unwrap();
    assert!(outcomes[0].result.is_ok(), "{:?}", outcomes[0].result);

    let items = load_items(pipeline.store(), &config, None, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(items.len(), VECTORS.len() + TITLE_VECTORS.len());
    let meta = FeedMeta {
        title: "t".into(),
        base_url: config.output.base_url.clone(),
        group: None,
        hub: None,
    };
    for format in Format::ALL {
        let doc = render(format, &meta, &items).unwrap();
        let feed = feed_rs::parser::parse(doc.body.as_bytes()).unwrap();
        assert_eq!(
            feed.entries.len(),
            VECTORS.len() + TITLE_VECTORS.len(),
            "{format:?}"
        );
        for entry in &feed.entries {
            let title = entry
                .title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default();
            assert!(!has_tag(&title), "{format:?}: markup in title {title:?}");
            for link in &entry.links {
                assert!(
                    link.href.starts_with("https://"),
                    "{format:?}: link {}",
                    link.href
                );
            }
            let bodies = [
                entry.content.as_ref().and_then(|c| c.body.clone()),
                entry.summary.as_ref().map(|s| s.content.clone()),
            ];
            for body in bodies.into_iter().flatten() {
                let bad = dangers(&body);
                assert!(bad.is_empty(), "{format:?} {title:?}: {bad:?} in\n{body}");
            }
        }
    }
    // The page's own <head> (charset, viewport, feed links, stylesheet) is
    // ours; everything from feeds is in <body>.
    let page = Html::parse_document(&render_page("t", &items, &[], &Default::default()));
    let body = scraper::Selector::parse("body").unwrap();
    let body = page.select(&body).next().unwrap().inner_html();
    assert!(body.contains("Story 0"), "{body}");
    let bad = dangers(&body);
    assert!(bad.is_empty(), "page: {bad:?}");
    pipeline.store().close().await;
}
