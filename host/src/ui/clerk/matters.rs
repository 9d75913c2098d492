//! The matter search (`/`) with its themes, and a matter's full guide.

use super::*;

/// The search form of `/`: text fields and checkboxes as the browser sends them.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    online: Option<String>,
    #[serde(default)]
    zero_visits: Option<String>,
}

/// `GET /`: the matter search, with the themes (一件事) above it.
pub async fn home(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    Query(search): Query<Search>,
) -> Response {
    let query = MatterQuery {
        q: Some(search.q.trim().to_owned()).filter(|q| !q.is_empty()),
        department: Some(search.department.clone()).filter(|d| !d.is_empty()),
        online: search.online.is_some().then_some(true),
        visits: search.zero_visits.is_some().then_some(0),
    };
    let result = async {
        Ok::<_, PlatformError>((
            platform.matters(&query).await?,
            platform.departments().await?,
        ))
    }
    .await;
    match result {
        Ok((matters, departments)) => page(
            Page::new("matters.html", Some(&user))
                .with("nav", "matters")
                .with("search", &search)
                .with("matters", matters)
                .with("departments", departments)
                .with("themes", &platform.config.themes),
        ),
        Err(e) => failed(&user, e),
    }
}

/// `GET /matters/{code}`: the full guide.
pub async fn matter(
    user: User,
    State(platform): State<Platform>,
    Path(code): Path<String>,
) -> Response {
    match platform.matter(&code).await {
        Ok(matter) => page(
            Page::new("matter.html", Some(&user))
                .with("nav", "matters")
                .with("matter", matter),
        ),
        Err(e) => failed(&user, e),
    }
}
