//! The applicants' sign-in (一证通用): the platform is a relying party of the
//! provincial identity platform, an OpenID Provider, through the authorization
//! code flow with PKCE (the `openidconnect` crate does the protocol).
//!
//! Each sign-in reads the provider's discovery document and its keys afresh, so
//! a provider that rotated its keys or moved an endpoint is followed at once;
//! sign-ins are rare beside everything else the platform does.
//!
//! Who the applicant is comes only from the ID token, once its signature (a key
//! of the provider's JWKS), issuer, audience, expiry and nonce are verified: a
//! resident by the `id_number` and `name` claims, an enterprise by
//! `credit_code`, `name` and its legal representative's
//! `legal_representative_id_number` and `legal_representative_name`. A number
//! with a wrong check character is refused too.

use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthenticationFlow, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenVerifier, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};

use crate::config::ApplicantSignIn;
use crate::model::Party;

/// How long the identity platform has to answer one request.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The claims beyond the standard ones that say who an applicant is.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IdentityClaims {
    /// `person` or `organization`.
    pub party_type: Option<String>,
    pub id_number: Option<String>,
    pub credit_code: Option<String>,
    pub legal_representative_id_number: Option<String>,
    pub legal_representative_name: Option<String>,
}

impl AdditionalClaims for IdentityClaims {}

type IdTokenFields = openidconnect::IdTokenFields<
    IdentityClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// An ID token of the identity platform.
pub type IdToken = openidconnect::IdToken<
    IdentityClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type Client = openidconnect::Client<
    IdentityClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    StandardTokenResponse<IdTokenFields, CoreTokenType>,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Who signed in, as the ID token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// The resident or the enterprise.
    pub party: Party,
    /// An enterprise's legal representative (法定代表人).
    pub representative: Option<Party>,
}

/// Why a sign-in did not succeed. The message is what the applicant reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The identity platform could not be reached or answered wrongly; trying
    /// again later may work.
    #[error("{0}")]
    Unavailable(String),
    /// The answer is not to be trusted or does not say who signed in.
    #[error("{0}")]
    Refused(String),
}

/// What a sign-in under way must remember until the applicant is back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The HTTP client for the identity platform: no redirects followed (a
/// provider that redirects its token endpoint is not followed elsewhere).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .build()
        .expect("a client without custom TLS builds")
}

async fn client(config: &ApplicantSignIn, http: &reqwest::Client) -> Result<Client, SignInError> {
    let issuer = IssuerUrl::new(config.issuer.clone())
        .map_err(|e| SignInError::Unavailable(format!("统一身份认证平台的地址有误：{e}")))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| {
            tracing::warn!(issuer = %config.issuer, "the identity platform's discovery failed: {e}");
            SignInError::Unavailable("统一身份认证平台暂时无法访问，请稍后再试。".to_owned())
        })?;
    let redirect = RedirectUrl::new(config.redirect_url.clone())
        .map_err(|e| SignInError::Unavailable(format!("本平台的回调地址有误：{e}")))?;
    Ok(Client::from_provider_metadata(
        metadata,
        ClientId::new(config.client_id.clone()),
        Some(ClientSecret::new(config.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// Where to send the applicant to sign in, and what to remember meanwhile.
pub async fn start(
    config: &ApplicantSignIn,
    http: &reqwest::Client,
) -> Result<(String, Pending), SignInError> {
    let client = client(config, http).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".to_owned()))
        .add_scope(Scope::new("identity".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = Pending {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    };
    Ok((url.to_string(), pending))
}

/// The applicant who came back with `code`: the code is exchanged (with the
/// PKCE verifier) for an ID token, which is verified.
pub async fn finish(
    config: &ApplicantSignIn,
    http: &reqwest::Client,
    code: String,
    pending: Pending,
) -> Result<Applicant, SignInError> {
    let client = client(config, http).await?;
    let exchange = client
        .exchange_code(AuthorizationCode::new(code))
        .map_err(|e| SignInError::Unavailable(format!("统一身份认证平台未提供令牌接口：{e}")))?;
    let tokens = exchange
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
        .request_async(http)
        .await
        .map_err(|e| {
            tracing::warn!(issuer = %config.issuer, "the identity platform refused the code: {e}");
            SignInError::Refused("登录凭证无效或已过期，请重新登录。".to_owned())
        })?;
    let Some(id_token) = openidconnect::TokenResponse::id_token(&tokens) else {
        return Err(SignInError::Refused(
            "统一身份认证平台未返回身份令牌，请重新登录。".to_owned(),
        ));
    };
    verify(
        &client.id_token_verifier(),
        id_token,
        &Nonce::new(pending.nonce),
    )
}

/// The applicant an ID token names, once `verifier` (the provider's keys, its
/// issuer, this platform as the audience) and `nonce` accept it.
pub fn verify(
    verifier: &IdTokenVerifier<'_, CoreJsonWebKey>,
    token: &IdToken,
    nonce: &Nonce,
) -> Result<Applicant, SignInError> {
    let claims = token.claims(verifier, nonce).map_err(|e| {
        tracing::warn!("an ID token was refused: {e}");
        SignInError::Refused(refusal(&e).to_owned())
    })?;
    let name = claims
        .name()
        .and_then(|names| names.get(None))
        .map(|name| name.as_str().trim().to_owned())
        .filter(|name| !name.is_empty())
        .ok_or_else(|| SignInError::Refused("身份令牌未载明姓名或名称。".to_owned()))?;
    identify(claims.additional_claims(), name)
}

/// The Chinese reason a verification failure is shown with.
fn refusal(error: &ClaimsVerificationError) -> &'static str {
    match error {
        ClaimsVerificationError::Expired(_) => "身份令牌已过期，请重新登录。",
        ClaimsVerificationError::InvalidAudience(_) => "身份令牌不是签发给本平台的，已拒绝。",
        ClaimsVerificationError::InvalidIssuer(_) => {
            "身份令牌不是由所配置的统一身份认证平台签发的，已拒绝。"
        }
        ClaimsVerificationError::InvalidNonce(_) => "身份令牌与本次登录不符，请重新登录。",
        ClaimsVerificationError::SignatureVerification(_) => "身份令牌的签名无效，已拒绝。",
        _ => "身份令牌无效，已拒绝。",
    }
}

fn identify(claims: &IdentityClaims, name: String) -> Result<Applicant, SignInError> {
    let refused = |message: &str| SignInError::Refused(message.to_owned());
    match claims.party_type.as_deref() {
        Some("person") => {
            let id_number = claims
                .id_number
                .clone()
                .ok_or_else(|| refused("身份令牌未载明身份证号码。"))?;
            onewindow_codes::id_number::validate(&id_number)
                .map_err(|_| refused("身份令牌中的身份证号码无效。"))?;
            Ok(Applicant {
                party: Party::Person { id_number, name },
                representative: None,
            })
        }
        Some("organization") => {
            let credit_code = claims
                .credit_code
                .clone()
                .ok_or_else(|| refused("身份令牌未载明统一社会信用代码。"))?;
            onewindow_codes::credit_code::validate(&credit_code)
                .map_err(|_| refused("身份令牌中的统一社会信用代码无效。"))?;
            let representative = match (
                &claims.legal_representative_id_number,
                &claims.legal_representative_name,
            ) {
                (Some(id_number), Some(rep_name)) => {
                    onewindow_codes::id_number::validate(id_number)
                        .map_err(|_| refused("身份令牌中的法定代表人身份证号码无效。"))?;
                    Some(Party::Person {
                        id_number: id_number.clone(),
                        name: rep_name.clone(),
                    })
                }
                _ => None,
            };
            Ok(Applicant {
                party: Party::Organization { credit_code, name },
                representative,
            })
        }
        _ => Err(refused(
            "身份令牌未载明申请人类型（个人或法人），无法办理。",
        )),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use openidconnect::core::{CoreJsonWebKeySet, CoreRsaPrivateSigningKey};
    use openidconnect::{
        Audience, EndUserName, IdTokenClaims, JsonWebKeyId, LocalizedClaim, PrivateSigningKey,
        StandardClaims, SubjectIdentifier,
    };

    use super::*;

    const ISSUER: &str = "http://127.0.0.1:9200";
    const KEY: &str = include_str!("oidc/test-key-a.pem");
    const OTHER_KEY: &str = include_str!("oidc/test-key-b.pem");

    fn key(pem: &str) -> CoreRsaPrivateSigningKey {
        CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("k1".into()))).unwrap()
    }

    /// The provider's keys as its JWKS publishes them: only `KEY`.
    fn keys() -> CoreJsonWebKeySet {
        CoreJsonWebKeySet::new(vec![key(KEY).as_verification_key()])
    }

    struct Minted {
        issuer: &'static str,
        audience: &'static str,
        nonce: &'static str,
        expires_in: Duration,
        signed_with: &'static str,
        claims: IdentityClaims,
        name: Option<&'static str>,
    }

    fn resident() -> Minted {
        Minted {
            issuer: ISSUER,
            audience: "onewindow",
            nonce: "n-1",
            expires_in: Duration::minutes(10),
            signed_with: KEY,
            claims: IdentityClaims {
                party_type: Some("person".into()),
                id_number: Some("11010519491231002X".into()),
                ..IdentityClaims::default()
            },
            name: Some("陈晓东"),
        }
    }

    fn mint(m: Minted) -> IdToken {
        let now = Utc::now();
        let mut standard = StandardClaims::new(SubjectIdentifier::new("s-1".into()));
        if let Some(name) = m.name {
            let mut names = LocalizedClaim::new();
            names.insert(None, EndUserName::new(name.into()));
            standard = standard.set_name(Some(names));
        }
        let claims = IdTokenClaims::new(
            IssuerUrl::new(m.issuer.into()).unwrap(),
            vec![Audience::new(m.audience.into())],
            now + m.expires_in,
            now - Duration::minutes(1),
            standard,
            m.claims,
        )
        .set_nonce(Some(Nonce::new(m.nonce.into())));
        IdToken::new(
            claims,
            &key(m.signed_with),
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            None,
            None,
        )
        .unwrap()
    }

    fn check(token: &IdToken) -> Result<Applicant, SignInError> {
        let keys = keys();
        let verifier = IdTokenVerifier::new_confidential_client(
            ClientId::new("onewindow".into()),
            ClientSecret::new("secret".into()),
            IssuerUrl::new(ISSUER.into()).unwrap(),
            keys,
        );
        verify(&verifier, token, &Nonce::new("n-1".into()))
    }

    fn refused(minted: Minted) -> String {
        match check(&mint(minted)) {
            Err(SignInError::Refused(message)) => message,
            other => panic!("accepted: {other:?}"),
        }
    }

    #[test]
    fn a_resident_and_an_enterprise_are_named_by_their_id_token() {
        let applicant = check(&mint(resident())).unwrap();
        assert_eq!(
            applicant.party,
            Party::Person {
                id_number: "11010519491231002X".into(),
                name: "陈晓东".into()
            }
        );
        let enterprise = check(&mint(Minted {
            claims: IdentityClaims {
                party_type: Some("organization".into()),
                credit_code: Some("91330122704218653L".into()),
                legal_representative_id_number: Some("11010519491231002X".into()),
                legal_representative_name: Some("陈晓东".into()),
                ..IdentityClaims::default()
            },
            name: Some("桐庐晓东茶业有限公司"),
            ..resident()
        }))
        .unwrap();
        assert_eq!(enterprise.party.id(), "91330122704218653L");
        assert_eq!(
            enterprise.representative.as_ref().map(Party::name),
            Some("陈晓东")
        );
    }

    #[test]
    fn a_forged_misaddressed_replayed_or_expired_id_token_is_refused() {
        let other_key = refused(Minted {
            signed_with: OTHER_KEY,
            ..resident()
        });
        assert!(other_key.contains("签名无效"), "{other_key}");
        let issuer = refused(Minted {
            issuer: "http://127.0.0.1:9999",
            ..resident()
        });
        assert!(issuer.contains("不是由所配置的"), "{issuer}");
        let audience = refused(Minted {
            audience: "another-platform",
            ..resident()
        });
        assert!(audience.contains("不是签发给本平台"), "{audience}");
        let nonce = refused(Minted {
            nonce: "n-of-another-sign-in",
            ..resident()
        });
        assert!(nonce.contains("不符"), "{nonce}");
        let expired = refused(Minted {
            expires_in: Duration::seconds(-30),
            ..resident()
        });
        assert!(expired.contains("已过期"), "{expired}");

        // A token whose signature was cut off, or whose payload was edited after
        // signing, is no token of the provider's.
        let token = serde_json::to_value(mint(resident())).unwrap();
        let text = token.as_str().unwrap();
        let (head, signature) = text.rsplit_once('.').unwrap();
        let (header, payload) = head.split_once('.').unwrap();
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let edited = String::from_utf8(b64.decode(payload).unwrap())
            .unwrap()
            .replace("11010519491231002X", "330122198203150014");
        let edited = format!("{header}.{}.{signature}", b64.encode(edited));
        let edited: IdToken = serde_json::from_value(serde_json::Value::String(edited)).unwrap();
        assert!(matches!(check(&edited), Err(SignInError::Refused(m)) if m.contains("签名无效")));
        let unsigned: Result<IdToken, _> =
            serde_json::from_value(serde_json::Value::String(format!("{head}.")));
        if let Ok(unsigned) = unsigned {
            assert!(check(&unsigned).is_err());
        }
    }

    #[test]
    fn a_token_that_does_not_say_who_signed_in_is_refused() {
        let nameless = refused(Minted {
            name: None,
            ..resident()
        });
        assert!(nameless.contains("姓名"), "{nameless}");
        let untyped = refused(Minted {
            claims: IdentityClaims {
                party_type: None,
                ..resident().claims
            },
            ..resident()
        });
        assert!(untyped.contains("申请人类型"), "{untyped}");
        let wrong_check = refused(Minted {
            claims: IdentityClaims {
                id_number: Some("110105194912310021".into()),
                ..resident().claims
            },
            ..resident()
        });
        assert!(wrong_check.contains("身份证号码无效"), "{wrong_check}");
    }
}
