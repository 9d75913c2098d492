//! The applicant's channel end to end: the public catalogue (API and pages),
//! read without a token, the very data the window reads.

use onewindow_tests::{CLERK, Db};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH};

use crate::platform::{idle_server, on_both_databases};

on_both_databases!(the_catalogue_is_public_cacheable_and_the_same_as_the_windows);

async fn the_catalogue_is_public_cacheable_and_the_same_as_the_windows(db: Db) {
    let server = idle_server(db).await;
    let s = &server;
    for path in [
        "/api/v1/matters",
        "/api/v1/matters?online=true",
        "/api/v1/matters/330122-SCJG-XK-001",
        "/api/v1/themes",
    ] {
        // Without a token: answered, and checked against the OpenAPI document.
        let (status, public) = s.call("GET", path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {public}");
        // The clerk's token changes nothing: one source for every channel.
        let (_, windows) = s.call("GET", path, Some(CLERK), None).await;
        assert_eq!(public, windows, "{path}");

        let first = s
            .client
            .get(format!("{}{path}", s.url()))
            .send()
            .await
            .unwrap();
        let tag = first.headers()[ETAG].to_str().unwrap().to_owned();
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{path}: {tag}");
        assert_eq!(first.headers()[CACHE_CONTROL], "public, max-age=60");
        let again = |tag: String| {
            s.client
                .get(format!("{}{path}", s.url()))
                .header(IF_NONE_MATCH, tag)
                .send()
        };
        let unchanged = again(tag.clone()).await.unwrap();
        assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(unchanged.headers()[ETAG].to_str().unwrap(), tag);
        assert!(unchanged.bytes().await.unwrap().is_empty());
        // A weak comparison and a list both match; another tag does not.
        let listed = again(format!("\"other\", W/{tag}")).await.unwrap();
        assert_eq!(listed.status(), StatusCode::NOT_MODIFIED, "{path}");
        let other = again("\"0123\"".to_owned()).await.unwrap();
        assert_eq!(other.status(), StatusCode::OK, "{path}");
    }
    let (_, all) = s.call("GET", "/api/v1/matters", None, None).await;
    let (_, online) = s
        .call("GET", "/api/v1/matters?online=true", None, None)
        .await;
    let tag_of = |path: &'static str| async move {
        s.client
            .get(format!("{}{path}", s.url()))
            .send()
            .await
            .unwrap()
            .headers()[ETAG]
            .clone()
    };
    assert_ne!(
        tag_of("/api/v1/matters").await,
        tag_of("/api/v1/matters?online=true").await,
        "different answers, different tags"
    );
    assert!(all["items"].as_array().unwrap().len() >= online["items"].as_array().unwrap().len());

    // A matter that does not exist is a 404 in the API's error shape, cached by no one.
    let (status, missing) = s
        .call("GET", "/api/v1/matters/330122-NO-SUCH-001", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");

    // The pages: the catalogue with its themes and search, and a guide.
    let page = |path: &'static str| async move {
        let response = s
            .client
            .get(format!("{}{path}", s.url()))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    let (status, html) = page("/services").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("网上办事大厅"), "{html}");
    assert!(html.contains("企业设立登记"), "{html}");
    assert!(
        html.contains("href=\"/services/330122-SCJG-XK-001\""),
        "{html}"
    );
    assert!(
        !html.contains("/accept"),
        "the public page offers no acceptance: {html}"
    );
    let (status, html) = page("/services?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("没有符合条件的事项"), "{html}");
    let (status, html) = page("/services/330122-SCJG-XK-001").await;
    assert_eq!(status, StatusCode::OK);
    for shown in ["企业设立登记", "受理条件", "承诺办结时限", "申请材料"] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    let (status, html) = page("/services/330122-NO-SUCH-001").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("没有") || html.contains("不存在"), "{html}");
}
