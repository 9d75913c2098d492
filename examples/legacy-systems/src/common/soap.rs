//! SOAP 1.1 envelopes in a legacy encoding (GBK): reading requests, writing answers.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onewindow_codes::gbk::{self, EncodingError};

use super::fault::Fault;
use super::xml::{self, Element, XmlError};

/// The SOAP 1.1 envelope namespace.
pub const ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// Why a request body could not be turned into an operation element.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The declared encoding is unknown, or the bytes are not valid in it.
    #[error("请求编码错误：{0}")]
    Encoding(#[from] EncodingError),
    /// The text is not well-formed XML.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The root element is not `soap:Envelope`.
    #[error("根元素应为soap:Envelope，实际为{0}")]
    NotEnvelope(String),
    /// No `soap:Body`.
    #[error("SOAP信封中缺少soap:Body")]
    NoBody,
    /// `soap:Body` holds no element.
    #[error("soap:Body中没有操作元素")]
    EmptyBody,
}

/// The charset label of a request: XML declaration, else `Content-Type` charset, else BOM, else GBK.
pub fn request_charset<'a>(body: &'a [u8], headers: &'a HeaderMap) -> &'a str {
    // The department's clients that declare nothing send GBK.
    request_charset_or(body, headers, "GBK")
}

/// The charset label of a request: XML declaration, else `Content-Type` charset, else
/// BOM, else `default` (what the department's clients that declare nothing send).
pub fn request_charset_or<'a>(body: &'a [u8], headers: &'a HeaderMap, default: &'a str) -> &'a str {
    let header_charset = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(gbk::content_type_charset);
    gbk::xml_declared_encoding(body)
        .or(header_charset)
        .or_else(|| body.starts_with(b"\xEF\xBB\xBF").then_some("UTF-8"))
        .unwrap_or(default)
}

/// Decodes a request body into text, honouring its declared encoding.
pub fn decode_request(body: &[u8], headers: &HeaderMap) -> Result<String, RequestError> {
    Ok(gbk::decode_declared(body, request_charset(body, headers))?)
}

/// Parses a decoded envelope and returns the first element inside `soap:Body`.
pub fn operation(text: &str) -> Result<Element, RequestError> {
    let envelope = xml::parse(text)?;
    if envelope.name != "Envelope" {
        return Err(RequestError::NotEnvelope(envelope.name));
    }
    let body = envelope
        .children
        .into_iter()
        .find(|c| c.name == "Body")
        .ok_or(RequestError::NoBody)?;
    body.children
        .into_iter()
        .next()
        .ok_or(RequestError::EmptyBody)
}

/// The operation named in the `SOAPAction` header, for answering requests whose body is unreadable.
pub fn soap_action(headers: &HeaderMap) -> Option<String> {
    let action = headers
        .get("soapaction")?
        .to_str()
        .ok()?
        .trim()
        .trim_matches('"');
    let name = action.rsplit(['/', '#']).next().unwrap_or(action);
    (!name.is_empty()).then(|| name.to_owned())
}

/// Writes a full envelope (with XML declaration) around `body`'s element.
pub fn envelope(body: &Element, declared_encoding: &str) -> String {
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"{declared_encoding}\"?>\n<soap:Envelope xmlns:soap=\"{ENVELOPE_NS}\">\n  <soap:Body>\n"
    );
    body.write_to(&mut out, 2);
    out.push_str("  </soap:Body>\n</soap:Envelope>\n");
    out
}

/// Encodes text as GBK; characters GBK lacks become XML character references.
pub fn encode_gbk(text: &str) -> Vec<u8> {
    match gbk::encode(text) {
        Ok(bytes) => bytes,
        // Echoed client text may hold characters outside GBK; encoding_rs writes those
        // as `&#N;`, which is still well-formed XML with the same meaning.
        Err(_) => encoding_rs::GBK.encode(text).0.into_owned(),
    }
}

/// Builds the GBK HTTP answer, applying `wrong-encoding` and `missing-element` (first of `droppable`).
pub fn respond(mut body: Element, fault: Fault, droppable: &[&str]) -> Response {
    if fault == Fault::MissingElement && !body.remove_first(droppable) {
        tracing::debug!("missing-element fault: nothing to drop in {}", body.name);
    }
    let (declared, content_type) = if fault == Fault::WrongEncoding {
        ("UTF-8", "text/xml; charset=UTF-8")
    } else {
        ("GBK", "text/xml; charset=GBK")
    };
    let bytes = encode_gbk(&envelope(&body, declared));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        headers
    }

    #[test]
    fn declared_encoding_wins_over_header() {
        let utf8 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>中</a>";
        let text = decode_request(utf8.as_bytes(), &headers("text/xml; charset=GBK")).unwrap();
        assert!(text.ends_with("<a>中</a>"));
        assert_eq!(
            request_charset(b"<a/>", &headers("text/xml; charset=utf-8")),
            "utf-8"
        );
        assert_eq!(request_charset(b"<a/>", &HeaderMap::new()), "GBK");
        let gbk_bytes = encode_gbk("<a>中文</a>");
        assert_eq!(
            decode_request(&gbk_bytes, &HeaderMap::new()).unwrap(),
            "<a>中文</a>"
        );
        assert!(matches!(
            decode_request(
                br#"<?xml version="1.0" encoding="KLINGON"?><a/>"#,
                &HeaderMap::new()
            ),
            Err(RequestError::Encoding(_))
        ));
    }

    #[test]
    fn finds_operation_in_body() {
        let op = operation(&envelope(&Element::new("CXSXQD").attr("a", "1"), "GBK")).unwrap();
        assert_eq!(op.name, "CXSXQD");
        assert!(matches!(
            operation("<soap:Envelope xmlns:soap=\"x\"><soap:Body/></soap:Envelope>"),
            Err(RequestError::EmptyBody)
        ));
        assert!(matches!(
            operation("<a/>"),
            Err(RequestError::NotEnvelope(_))
        ));
    }

    #[test]
    fn soap_action_names() {
        let mut headers = HeaderMap::new();
        headers.insert("SOAPAction", "\"http://djzc/ws/BJSB\"".parse().unwrap());
        assert_eq!(soap_action(&headers).as_deref(), Some("BJSB"));
    }
}
