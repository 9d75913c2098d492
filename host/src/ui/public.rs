//! The public pages (`/services`): the matter catalogue, the guides and the
//! 一件事 themes for anyone, without signing in. They show the very data the
//! window and the API's public catalogue do (同源发布).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::clerk::Search;
use super::{Page, failed, page};
use crate::platform::catalogue::MatterQuery;
use crate::platform::{Platform, PlatformError};

/// `GET /services`: the themes, and the catalogue searched as at the window.
pub async fn services(State(platform): State<Platform>, Query(search): Query<Search>) -> Response {
    let found = async {
        let names: BTreeMap<String, String> = platform
            .matters(&MatterQuery::default())
            .await?
            .into_iter()
            .map(|m| (m.matter.code, m.matter.name))
            .collect();
        Ok::<_, PlatformError>((search.run(&platform).await?, names))
    };
    match found.await {
        Ok(((matters, departments), names)) => page(
            Page::new("services.html", None)
                .with("site", "网上办事大厅")
                .with("nav", "services")
                .with("search", &search)
                .with("matters", matters)
                .with("departments", departments)
                .with("themes", &platform.config.themes)
                .with("names", names),
        ),
        Err(e) => failed(None, e),
    }
}

/// `GET /services/{code}`: one matter's full guide.
pub async fn service(State(platform): State<Platform>, Path(code): Path<String>) -> Response {
    match platform.matter(&code).await {
        Ok(matter) => page(
            Page::new("service.html", None)
                .with("site", "网上办事大厅")
                .with("matter", matter),
        ),
        Err(e) => failed(None, e),
    }
}
