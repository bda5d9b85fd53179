//! A raw-TCP server on 127.0.0.1 that misbehaves the way real web servers
//! do: it hangs, trickles, never ends, lies about lengths, bombs, loops,
//! redirects where it must not, resets connections and serves the wrong
//! thing. Each behaviour lives on its own path.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The server; every connection is handled on its own task.
pub struct HostileServer {
    pub addr: SocketAddr,
}

impl HostileServer {
    pub async fn start() -> HostileServer {
        // Compressing takes a while in a debug build; never on a server task.
        tokio::task::spawn_blocking(gzip_bomb).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(handle(stream, addr));
            }
        });
        HostileServer { addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// The healthy feed served at `/good`.
pub fn good_feed() -> String {
    super::rss(
        "Good",
        &[
            (
                "g-1",
                "Harbour reopens",
                "https://good.example.org/1",
                "Ships sail again.",
            ),
            (
                "g-2",
                "Bridge repaired",
                "https://good.example.org/2",
                "Traffic flows.",
            ),
        ],
    )
}

/// A list page in GBK with no charset anywhere: detection must read it.
pub fn gbk_page() -> Vec<u8> {
    let html = "<html><head><title>新闻</title></head><body><ul class=\"news\">\
        <li><a href=\"/a/1.html\">国务院常务会议部署稳就业工作</a></li>\
        <li><a href=\"/a/2.html\">长江流域今年首次发布洪水预警</a></li>\
        </ul><p>本网站所有内容版权归新闻中心所有，未经授权不得转载。</p></body></html>";
    encoding_rs::GBK.encode(html).0.into_owned()
}

fn billion_laughs() -> String {
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        doc.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    doc.push_str("]>\n<rss version=\"2.0\"><channel><title>&lol9;</title><item><title>&lol9;</title><guid>x</guid></item></channel></rss>\n");
    doc
}

/// 32 MiB of zeros (32 times the tests' body cap), gzipped once: about
/// 32 KiB on the wire.
fn gzip_bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..32 {
            encoder.write_all(&zeros).unwrap();
        }
        encoder.finish().unwrap()
    })
}

async fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 65536 {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&buf);
    text.lines()
        .next()?
        .split_whitespace()
        .nth(1)
        .map(str::to_owned)
}

fn head(status: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn full(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = head(
        status,
        &[
            ("Content-Type", content_type.to_owned()),
            ("Content-Length", body.len().to_string()),
        ],
    );
    out.extend_from_slice(body);
    out
}

fn redirect(status: &str, to: &str) -> Vec<u8> {
    head(
        status,
        &[("Location", to.to_owned()), ("Content-Length", "0".into())],
    )
}

async fn handle(mut stream: TcpStream, addr: SocketAddr) {
    let Some(path) = read_request(&mut stream).await else {
        return;
    };
    let port = addr.port();
    let reply = match path.as_str() {
        "/good" | "/private/feed" => full("200 OK", "application/rss+xml", good_feed().as_bytes()),
        "/hang" => return wait_for_close(stream).await,
        "/trickle" => return trickle(stream).await,
        "/endless" => return endless(stream).await,
        "/huge-length" => return huge_length(stream).await,
        "/reset" => return reset_mid_body(stream).await,
        "/gzip-bomb" => {
            let bomb = gzip_bomb();
            let mut out = head(
                "200 OK",
                &[
                    ("Content-Type", "application/rss+xml".into()),
                    ("Content-Encoding", "gzip".into()),
                    ("Content-Length", bomb.len().to_string()),
                ],
            );
            out.extend_from_slice(bomb);
            out
        }
        "/redirect-loop" => redirect("302 Found", "/redirect-loop-2"),
        "/redirect-loop-2" => redirect("302 Found", "/redirect-loop"),
        "/to-loopback" => redirect("302 Found", &format!("http://127.0.0.2:{port}/good")),
        "/to-ipv6-loopback" => redirect("302 Found", &format!("http://[::1]:{port}/good")),
        "/to-metadata" => redirect("302 Found", "http://169.254.169.254/latest/meta-data/"),
        "/to-file" => redirect("302 Found", "file:///etc/passwd"),
        "/moved" => redirect("301 Moved Permanently", "/good"),
        "/429" => head(
            "429 Too Many Requests",
            &[("Retry-After", "7200".into()), ("Content-Length", "0".into())],
        ),
        "/429-short" => head(
            "429 Too Many Requests",
            &[("Retry-After", "1".into()), ("Content-Length", "0".into())],
        ),
        "/500" => full("500 Internal Server Error", "text/plain", b"oops"),
        "/gone" => full("410 Gone", "text/plain", b"gone"),
        "/html" => full(
            "200 OK",
            "text/html",
            b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><p>No feed here.</p></body></html>",
        ),
        "/image" => {
            let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
            png.extend(std::iter::repeat_n(0u8, 2048));
            full("200 OK", "image/png", &png)
        }
        "/laughs" => full("200 OK", "application/rss+xml", billion_laughs().as_bytes()),
        "/gbk-page" | "/private/list" => full("200 OK", "text/html", &gbk_page()),
        "/cached" => {
            let body = good_feed();
            let mut out = head(
                "200 OK",
                &[
                    ("Content-Type", "application/rss+xml".into()),
                    ("Cache-Control", "public, max-age=7200".into()),
                    ("Content-Length", body.len().to_string()),
                ],
            );
            out.extend_from_slice(body.as_bytes());
            out
        }
        "/robots.txt" => full(
            "200 OK",
            "text/plain",
            b"User-agent: *\nDisallow: /private/\n",
        ),
        _ => full("404 Not Found", "text/plain", b"no such behaviour"),
    };
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}

/// Never answers; returns when the client gives up.
async fn wait_for_close(mut stream: TcpStream) {
    let mut buf = [0u8; 1024];
    while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
}

/// Promises 10 kB and sends one byte a second.
async fn trickle(mut stream: TcpStream) {
    let start = head(
        "200 OK",
        &[
            ("Content-Type", "application/rss+xml".into()),
            ("Content-Length", "10000".into()),
        ],
    );
    if stream.write_all(&start).await.is_err() {
        return;
    }
    loop {
        if stream.write_all(b"<").await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// A chunked body that never ends.
async fn endless(mut stream: TcpStream) {
    let start = head(
        "200 OK",
        &[
            ("Content-Type", "application/rss+xml".into()),
            ("Transfer-Encoding", "chunked".into()),
        ],
    );
    if stream.write_all(&start).await.is_err() {
        return;
    }
    let item = "<item><title>again</title></item>".repeat(2000);
    let chunk = format!("{:x}\r\n{item}\r\n", item.len());
    while stream.write_all(chunk.as_bytes()).await.is_ok() {}
}

/// Claims 10 GB and streams zeros until the client hangs up.
async fn huge_length(mut stream: TcpStream) {
    let start = head(
        "200 OK",
        &[
            ("Content-Type", "application/rss+xml".into()),
            ("Content-Length", "10737418240".into()),
        ],
    );
    if stream.write_all(&start).await.is_err() {
        return;
    }
    let zeros = vec![0u8; 64 * 1024];
    while stream.write_all(&zeros).await.is_ok() {}
}

/// Sends part of the promised body, then resets the connection.
async fn reset_mid_body(mut stream: TcpStream) {
    let body = good_feed();
    let start = head(
        "200 OK",
        &[
            ("Content-Type", "application/rss+xml".into()),
            ("Content-Length", (body.len() * 10).to_string()),
        ],
    );
    let _ = stream.write_all(&start).await;
    let _ = stream.write_all(&body.as_bytes()[..body.len() / 2]).await;
    let _ = stream.flush().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    // SO_LINGER 0: close() sends RST instead of FIN (and cannot block,
    // which is what tokio's deprecation of set_linger warns about).
    if let Ok(std) = stream.into_std() {
        let socket = socket2::SockRef::from(&std);
        let _ = socket.set_linger(Some(Duration::ZERO));
    }
}
