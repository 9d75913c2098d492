//! The matter search (`/`) with its themes, and a matter's full guide.

use super::*;

/// The search form of `/` (and of the public `/services`): text fields and
/// checkboxes as the browser sends them.
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

impl Search {
    /// The matters found, and every department for the form's choice.
    pub async fn run(
        &self,
        platform: &Platform,
    ) -> Result<(Vec<CatalogueMatter>, Vec<String>), PlatformError> {
        let query = MatterQuery {
            q: Some(self.q.trim().to_owned()).filter(|q| !q.is_empty()),
            department: Some(self.department.clone()).filter(|d| !d.is_empty()),
            online: self.online.is_some().then_some(true),
            visits: self.zero_visits.is_some().then_some(0),
        };
        Ok((
            platform.matters(&query).await?,
            platform.departments().await?,
        ))
    }
}

/// `GET /`: the matter search, with the themes (一件事) above it.
pub async fn home(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    Query(search): Query<Search>,
) -> Response {
    match search.run(&platform).await {
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
