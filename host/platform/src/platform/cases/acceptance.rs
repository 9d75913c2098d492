//! Acceptance at the window: the parties, the matters (or a theme's), the
//! materials or the licenses that stand in for them (一次告知), then one
//! transaction that stores the case.

use super::*;

/// Checks the ID number or credit code and the name of `party`, naming the
/// offending field under `field` (`applicant`, `representative`).
pub(super) fn check_party(party: &Party, field: &str) -> Result<(), PlatformError> {
    match party {
        Party::Person { id_number, name } => {
            onewindow_codes::id_number::validate(id_number)
                .map_err(|e| invalid(&format!("{field}.id_number"), e.to_string()))?;
            if name.trim().is_empty() {
                return Err(invalid(
                    &format!("{field}.name"),
                    format!("the {field}'s name is empty"),
                ));
            }
        }
        Party::Organization { credit_code, name } => {
            onewindow_codes::credit_code::validate(credit_code)
                .map_err(|e| invalid(&format!("{field}.credit_code"), e.to_string()))?;
            if name.trim().is_empty() {
                return Err(invalid(
                    &format!("{field}.name"),
                    "the organization's name is empty",
                ));
            }
        }
    }
    Ok(())
}

/// The applicant and, when given, the representative (a person).
pub(super) fn check_parties(application: &Application) -> Result<(), PlatformError> {
    check_party(&application.applicant, "applicant")?;
    match &application.representative {
        Some(Party::Organization { .. }) => Err(invalid(
            "representative.type",
            "the representative is the person acting for the applicant; give a person (type person)",
        )),
        Some(person) => check_party(person, "representative"),
        None => Ok(()),
    }
}

/// What an application's required materials come to: covered by the applicant's
/// (or representative's) licenses, to be covered by a license a part it waits
/// for issues (一件事 in order), or missing (all of them, 一次告知).
#[derive(Debug, Clone, Default)]
pub struct MaterialCheck {
    pub covered: Vec<LicenseRef>,
    pub deferred: Vec<DeferredMaterial>,
    pub missing: Vec<MissingMaterial>,
}

/// A required material of a waiting part (一件事 in order) that the license of
/// a part it waits for is to stand in for, once issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeferredMaterial {
    /// The waiting part's matter.
    pub matter_code: String,
    /// `<matter code>/<material code>`.
    pub code: String,
    pub name: String,
    pub license_type: String,
    /// The names of the matters it waits for, e.g. 企业设立登记.
    pub after: Vec<String>,
}

/// One matter of an application and the adapter that takes it.
pub(super) struct Target {
    matter: CatalogueMatter,
    adapter: Arc<dyn Adapter>,
    /// `Some(matter code)` in a theme application, where material codes are
    /// qualified as `<matter code>/<material code>`.
    qualifier: Option<String>,
    /// The targets (their indices) whose licenses this one waits for.
    after: Vec<usize>,
    /// The licenses (type names) they issue, which stand in for its materials.
    awaited_licenses: Vec<(String, usize)>,
}

impl Target {
    pub(super) fn qualified(&self, material_code: &str) -> String {
        match &self.qualifier {
            Some(matter) => format!("{matter}/{material_code}"),
            None => material_code.to_owned(),
        }
    }
}

/// The part of an attachment's or license's material code that belongs to the
/// matter `matter_code` of a case: all of it in a single-matter case, the part
/// after `<matter code>/` in a theme (一件事) case.
pub(crate) fn material_of<'a>(code: &'a str, matter_code: &str, theme: bool) -> Option<&'a str> {
    if theme {
        code.strip_prefix(matter_code)?.strip_prefix('/')
    } else {
        Some(code)
    }
}

impl Platform {
    /// The matters an application is for, each with the adapter that takes it.
    pub(super) async fn targets(
        &self,
        application: &Application,
    ) -> Result<Vec<Target>, PlatformError> {
        let (codes, theme) = match (&application.matter_code, &application.theme_code) {
            (Some(code), None) => (vec![code.clone()], None),
            (None, Some(theme)) => {
                let theme = self
                    .config
                    .themes
                    .iter()
                    .find(|t| &t.code == theme)
                    .ok_or_else(|| {
                        invalid(
                            "theme_code",
                            format!(
                                "no theme (一件事) with code {theme:?}; the themes are {}",
                                self.config
                                    .themes
                                    .iter()
                                    .map(|t| format!("{} {}", t.code, t.name))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?;
                (theme.matters.clone(), Some(theme))
            }
            _ => {
                return Err(invalid(
                    "matter_code",
                    "an application names either one matter (matter_code) or one theme (theme_code)",
                ));
            }
        };
        let mut targets = Vec::new();
        for code in &codes {
            let field = if theme.is_some() {
                "theme_code"
            } else {
                "matter_code"
            };
            let matter = self.matter(code).await.map_err(|e| match e {
                PlatformError::NotFound(message) => invalid(field, message),
                other => other,
            })?;
            let mut adapter = self.adapter(&matter.adapter_id);
            if adapter.is_none() {
                // Activated on another replica a moment ago: follow the registry
                // now instead of at the next poll.
                self.load_registry().await?;
                adapter = self.adapter(&matter.adapter_id);
            }
            let Some(adapter) = adapter else {
                return Err(PlatformError::Conflict(format!(
                    "matter {} cannot be accepted now: the system of {} is not connected",
                    matter.matter.code, matter.matter.department
                )));
            };
            if !adapter.exports().cases {
                return Err(PlatformError::Conflict(format!(
                    "matter {} is listed but its department does not take applications through the platform",
                    matter.matter.code
                )));
            }
            // The config checked that a theme's matters wait only for matters
            // listed before them.
            let after: Vec<usize> = theme
                .and_then(|t| t.after.get(code))
                .into_iter()
                .flatten()
                .filter_map(|first| codes.iter().position(|c| c == first))
                .collect();
            let awaited_licenses = after
                .iter()
                .flat_map(|&i| {
                    theme
                        .and_then(|t| t.issues.get(&codes[i]))
                        .into_iter()
                        .flatten()
                        .map(move |license| (license.clone(), i))
                })
                .collect();
            targets.push(Target {
                qualifier: theme.is_some().then(|| matter.matter.code.clone()),
                matter,
                adapter,
                after,
                awaited_licenses,
            });
        }
        Ok(targets)
    }

    /// What the application's materials come to, without accepting it: the
    /// window shows which materials the applicant's licenses cover once the
    /// applicant consents. Looking the licenses up is audited like any lookup.
    pub async fn check_materials(
        &self,
        application: &Application,
        clerk: &str,
    ) -> Result<MaterialCheck, PlatformError> {
        check_parties(application)?;
        let targets = self.targets(application).await?;
        self.materials(application, &targets, clerk).await
    }

    /// Checks the attachments and the consent of `application` for `targets`, and
    /// works out which required materials its licenses cover and which are missing.
    pub(super) async fn materials(
        &self,
        application: &Application,
        targets: &[Target],
        clerk: &str,
    ) -> Result<MaterialCheck, PlatformError> {
        let theme = application.theme_code.is_some();
        for (i, a) in application.attachments.iter().enumerate() {
            let known = targets.iter().any(|t| {
                material_of(&a.material_code, &t.matter.matter.code, theme)
                    .is_some_and(|code| t.matter.matter.materials.iter().any(|m| m.code == code))
            });
            if !known {
                return Err(invalid(
                    &format!("attachments[{i}].material_code"),
                    format!(
                        "the application has no material {:?}; its materials are {}",
                        a.material_code,
                        targets
                            .iter()
                            .flat_map(|t| t.matter.matter.materials.iter().map(move |m| format!(
                                "{} {}",
                                t.qualified(&m.code),
                                m.name
                            )))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        let consent = application.consent.as_ref();
        if let Some(c) = consent
            && c.reuse_licenses
            && c.purpose.trim().is_empty()
        {
            return Err(invalid(
                "consent.purpose",
                "consent to reuse licenses must say for what purpose",
            ));
        }

        // Every required material: attached, or covered by a valid license of the
        // applicant (or of the representative) that the applicant consented to reuse.
        let reuse = consent.is_some_and(|c| c.reuse_licenses);
        let holders: Vec<&Party> = std::iter::once(&application.applicant)
            .chain(&application.representative)
            .collect();
        let mut held: Option<Vec<License>> = None;
        let mut covered = Vec::new();
        let mut deferred = Vec::new();
        let mut missing = Vec::new();
        for target in targets {
            for material in target.matter.matter.materials.iter().filter(|m| m.required) {
                let code = target.qualified(&material.code);
                if application
                    .attachments
                    .iter()
                    .any(|a| a.material_code == code)
                {
                    continue;
                }
                if reuse
                    && let Some(license_type) = &material.license_type
                    && consent.is_some_and(|c| c.allows(license_type))
                {
                    if held.is_none() {
                        let purpose = consent.map(|c| c.purpose.as_str()).unwrap_or_default();
                        let mut licenses = Vec::new();
                        for holder in holders.iter() {
                            licenses.extend(
                                self.lookup_licenses(holder, None, clerk, purpose)
                                    .await?
                                    .items
                                    .into_iter()
                                    .map(|found| found.license),
                            );
                        }
                        held = Some(licenses);
                    }
                    // Only a license in force, held by the very person or
                    // organization (its kind and number), stands in.
                    let found = held.iter().flatten().find(|l| {
                        &l.type_name == license_type
                            && l.status == LicenseStatus::Valid
                            && holders.iter().any(|h| licenses::same_party(h, &l.holder))
                    });
                    if let Some(license) = found {
                        covered.push(LicenseRef {
                            material_code: code,
                            license: license.clone(),
                        });
                        continue;
                    }
                    // A license the parts it waits for will issue (营业执照 for
                    // 公章刻制备案): the applicant cannot attach it yet.
                    let issuers: Vec<String> = target
                        .awaited_licenses
                        .iter()
                        .filter(|(license, _)| license == license_type)
                        .map(|&(_, i)| targets[i].matter.matter.name.clone())
                        .collect();
                    if !issuers.is_empty() {
                        deferred.push(DeferredMaterial {
                            matter_code: target.matter.matter.code.clone(),
                            code,
                            name: material.name.clone(),
                            license_type: license_type.clone(),
                            after: issuers,
                        });
                        continue;
                    }
                }
                missing.push(MissingMaterial {
                    code,
                    name: material.name.clone(),
                    license_type: material.license_type.clone(),
                });
            }
        }
        Ok(MaterialCheck {
            covered,
            deferred,
            missing,
        })
    }

    /// Accepts an application for a matter or a theme (一件事): checks it, and in
    /// one transaction stores the case, its parts (one per matter), its first
    /// timeline step, an audit entry and the outbox rows that deliver it.
    pub async fn accept(
        &self,
        application: Application,
        clerk: &str,
    ) -> Result<Case, PlatformError> {
        check_parties(&application)?;
        let targets = self.targets(&application).await?;
        // 一表申请: each field once, checked by kind; the applicant's own name
        // and number fill the fields that come from them.
        let asked = fields_of(targets.iter().map(|t| &t.matter.matter));
        let mut form = application.form.clone();
        let wrong = form::complete_and_check(
            &asked,
            &mut form,
            &application.applicant,
            application.theme_code.is_some(),
        );
        if !wrong.is_empty() {
            return Err(PlatformError::InvalidForm(wrong));
        }
        let details = self
            .remembered(application.applicant.id(), form::details(&asked, &form))
            .await?;
        let MaterialCheck {
            covered,
            deferred,
            missing,
        } = self.materials(&application, &targets, clerk).await?;
        if !missing.is_empty() {
            return Err(PlatformError::MissingMaterials(missing));
        }
        let consent = application.consent.clone();

        // A theme promises its own time for the whole bundle; the legal limit is
        // the longest of its matters'.
        let promised_days = match &application.theme_code {
            Some(code) => self
                .config
                .themes
                .iter()
                .find(|t| &t.code == code)
                .map_or(0, |t| t.promised_days),
            None => targets[0].matter.matter.promised_days,
        };
        let legal_days = targets
            .iter()
            .map(|t| t.matter.matter.legal_days)
            .max()
            .unwrap_or_default()
            .max(promised_days);
        let now = self.clock.now();
        let today = now.date_naive();
        let promised = self.calendar.deadline(today, promised_days, &[], today);
        let legal = self.calendar.deadline(today, legal_days, &[], today);
        let accepted_at = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);

        let mut note = "受理".to_owned();
        if !covered.is_empty() {
            note += &format!(
                "；免提交材料 {}",
                covered
                    .iter()
                    .map(|c| c.material_code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let waiting_for = |t: &Target| -> Vec<String> {
            t.after
                .iter()
                .map(|&i| targets[i].matter.matter.name.clone())
                .collect()
        };
        for t in targets.iter().filter(|t| !t.after.is_empty()) {
            let awaited: String = waiting_for(t).iter().map(|n| format!("「{n}」")).collect();
            note += &format!("；{}待{awaited}发证后推送", t.matter.matter.name);
        }
        let matter_codes: Vec<String> = targets
            .iter()
            .map(|t| t.matter.matter.code.clone())
            .collect();
        let new_case = NewCase {
            day: today.format("%Y%m%d").to_string(),
            matter_code: application.matter_code.clone(),
            theme_code: application.theme_code.clone(),
            parts: targets
                .iter()
                .map(|t| {
                    let code = &t.matter.matter.code;
                    let waits = !t.after.is_empty();
                    let deferred: Vec<&DeferredMaterial> =
                        deferred.iter().filter(|d| &d.matter_code == code).collect();
                    NewPart {
                        matter_code: code.clone(),
                        department: t.matter.matter.department.clone(),
                        adapter_id: t.adapter.id().to_owned(),
                        waits_for: waits.then(|| {
                            let part_nos: Vec<i64> =
                                t.after.iter().map(|&i| i as i64 + 1).collect();
                            serde_json::to_string(&part_nos).expect("part numbers serialize")
                        }),
                        deferred: waits.then(|| {
                            serde_json::to_string(&deferred).expect("materials serialize")
                        }),
                    }
                })
                .collect(),
            status: Status::Accepted.as_str(),
            applicant: serde_json::to_string(&application.applicant).expect("parties serialize"),
            applicant_id: application.applicant.id().to_owned(),
            representative: application
                .representative
                .as_ref()
                .map(|r| serde_json::to_string(r).expect("parties serialize")),
            form: serde_json::to_string(&form).expect("forms serialize"),
            applicant_details: details,
            consent: consent
                .as_ref()
                .map(|c| serde_json::to_string(c).expect("consents serialize")),
            covered: serde_json::to_string(&covered).expect("license refs serialize"),
            accepted_at: accepted_at.clone(),
            accepted_on: today.to_string(),
            promised_days: i64::from(promised_days),
            legal_days: i64::from(legal_days),
            promised_by: promised.date.to_string(),
            legal_by: legal.date.to_string(),
            provisional: i64::from(promised.provisional || legal.provisional),
            visits: targets
                .iter()
                .map(|t| i64::from(t.matter.matter.visits))
                .max()
                .unwrap_or_default(),
            materials_required: targets
                .iter()
                .map(|t| {
                    t.matter
                        .matter
                        .materials
                        .iter()
                        .filter(|m| m.required)
                        .count() as i64
                })
                .sum(),
            traceparent: crate::trace::current_traceparent(),
            attachments: application
                .attachments
                .iter()
                .map(|a| {
                    (
                        a.material_code.clone(),
                        a.file_name.clone(),
                        a.media_type.clone(),
                        a.content_base64.clone(),
                    )
                })
                .collect(),
            actor: clerk.to_owned(),
            note: note.clone(),
            audit: NewEntry {
                at: String::new(),
                actor: clerk.to_owned(),
                action: "case.accepted".into(),
                subject: String::new(),
                detail: serde_json::json!({
                    "matters": matter_codes,
                    "theme": application.theme_code,
                    "applicant": licenses::mask_holder(&application.applicant),
                    "representative": application.representative.as_ref().map(licenses::mask_holder),
                    "covered_by_license": covered.iter().map(|c| &c.material_code).collect::<Vec<_>>(),
                    "licenses_reused": covered.iter().map(|c| serde_json::json!({
                        "type": c.license.type_name,
                        "number": crate::mask::id_number(&c.license.number),
                        "holder": licenses::mask_holder(&c.license.holder),
                    })).collect::<Vec<_>>(),
                    "awaiting_license": deferred.iter().map(|d| &d.code).collect::<Vec<_>>(),
                    "consent": consent,
                }),
            },
        };
        let Stored { case_no, at } = self.intake.store(&self.store, new_case).await?;
        let step = Step {
            at,
            part_no: None,
            status: Status::Accepted,
            actor: clerk.to_owned(),
            note,
        };
        tracing::info!(case_no, matters = ?matter_codes, "case accepted");
        // The answer is what was just written; reading it back would cost a
        // transaction of its own on every acceptance.
        let (due, working_days_left) = self.due(Status::Accepted, promised.date, today);
        Ok(Case {
            case_no,
            matter_code: application.matter_code,
            theme_code: application.theme_code,
            status: Status::Accepted,
            applicant: application.applicant,
            accepted_at,
            promised_by: promised.date,
            legal_by: legal.date,
            provisional: promised.provisional || legal.provisional,
            due,
            working_days_left,
            covered_by_license: covered.into_iter().map(|c| c.material_code).collect(),
            consent,
            form,
            reason: None,
            special_procedure_days: 0,
            special_procedure_long: false,
            parts: targets
                .iter()
                .zip(1..)
                .map(|(t, part_no)| Part {
                    part_no,
                    matter_code: t.matter.matter.code.clone(),
                    matter_name: Some(t.matter.matter.name.clone()),
                    department: Some(t.matter.matter.department.clone()),
                    status: Status::Accepted,
                    department_ref: None,
                    reason: None,
                    waiting_for: waiting_for(t),
                })
                .collect(),
            timeline: vec![step],
        })
    }
}
