//! The 登记注册 service's transport: SOAP 1.1 envelopes in GBK.
//!
//! [`Envelope`] writes a request. [`Document`] checks an answer's HTTP status and
//! charset and decodes it strictly; [`Document::read`] then walks it once with
//! quick-xml and hands every record element it was told about ([`Shape`]) to the
//! caller as a [`Record`] of text fields, so no element tree is ever built.

use std::borrow::Cow;
use std::fmt::{Display, Write as _};

use base64::Engine as _;
use onewindow_sdk::codes::gbk;
use onewindow_sdk::types::AdapterError;
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

/// The SOAP 1.1 envelope namespace.
const ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The namespace of the department's operations.
const SERVICE_NS: &str = "http://djzc.scjgj.gov.cn/ws";
/// What the service expects requests to be sent as.
pub const CONTENT_TYPE: &str = "text/xml; charset=GBK";

/// A legacy system's raw HTTP answer, as the translation functions take it.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'b> {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, empty when absent.
    pub content_type: &'b str,
    /// The body as sent.
    pub body: &'b [u8],
}

/// A SOAP envelope under construction around one operation element.
///
/// Element names are ASCII constants of the protocol; text and attribute values are
/// escaped. The first value XML cannot carry is remembered and reported by
/// [`Envelope::finish`], so building reads as a plain sequence of calls.
pub struct Envelope {
    op: &'static str,
    xml: String,
    problem: Option<String>,
}

impl Envelope {
    /// Starts `<op>` inside the envelope's body.
    pub fn new(op: &'static str) -> Self {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<soap:Envelope xmlns:soap=\"{ENVELOPE_NS}\"><soap:Body><{op} xmlns=\"{SERVICE_NS}\">"
        );
        Self {
            op,
            xml,
            problem: None,
        }
    }

    /// Writes `<name>text</name>`.
    pub fn leaf(&mut self, name: &'static str, text: &str) -> &mut Self {
        self.element(name, &[], text)
    }

    /// Writes `<name a="v" …>text</name>`.
    pub fn element(
        &mut self,
        name: &'static str,
        attributes: &[(&'static str, &str)],
        text: &str,
    ) -> &mut Self {
        self.start(name, attributes);
        self.escaped(name, None, text);
        self.end(name)
    }

    /// Writes the start tag `<name a="v" …>`.
    pub fn start(&mut self, name: &'static str, attributes: &[(&'static str, &str)]) -> &mut Self {
        self.xml.push('<');
        self.xml.push_str(name);
        for &(attribute, value) in attributes {
            self.xml.push(' ');
            self.xml.push_str(attribute);
            self.xml.push_str("=\"");
            self.escaped(name, Some(attribute), value);
            self.xml.push('"');
        }
        self.xml.push('>');
        self
    }

    /// Writes the end tag `</name>`.
    pub fn end(&mut self, name: &'static str) -> &mut Self {
        self.xml.push_str("</");
        self.xml.push_str(name);
        self.xml.push('>');
        self
    }

    /// Writes `bytes` in base64 as the content of the element just started.
    pub fn base64(&mut self, bytes: &[u8]) -> &mut Self {
        // Straight into the document: attachments can be large, and the adapter's memory is not.
        base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut self.xml);
        self
    }

    /// Closes the envelope and encodes it in GBK.
    pub fn finish(mut self) -> Result<Vec<u8>, AdapterError> {
        if let Some(problem) = self.problem {
            return Err(AdapterError::Invalid(format!(
                "cannot send {}: {problem}; XML cannot carry it, so remove it from the application",
                self.op
            )));
        }
        self.end(self.op);
        self.xml.push_str("</soap:Body></soap:Envelope>\n");
        // Characters GBK lacks (rare name characters such as 𠮷) become decimal character
        // references, which is what encoding_rs writes for them: inside XML text and
        // attribute values they mean the very same character, so nothing is lost.
        Ok(encoding_rs::GBK.encode(&self.xml).0.into_owned())
    }

    /// Appends `text` escaped for content or for a double-quoted attribute value.
    fn escaped(&mut self, element: &str, attribute: Option<&str>, text: &str) {
        for c in text.chars() {
            match c {
                '&' => self.xml.push_str("&amp;"),
                '<' => self.xml.push_str("&lt;"),
                '>' => self.xml.push_str("&gt;"),
                '"' => self.xml.push_str("&quot;"),
                // A raw tab or line break in an attribute is normalised to a space by the
                // reader; as references they survive, in content too.
                '\t' | '\n' | '\r' => {
                    let _ = write!(self.xml, "&#{};", u32::from(c));
                }
                '\0'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => {
                    if self.problem.is_none() {
                        let place = match attribute {
                            Some(attribute) => format!("the {attribute} attribute of <{element}>"),
                            None => format!("<{element}>"),
                        };
                        self.problem = Some(format!(
                            "{place} holds the control character U+{:04X}",
                            u32::from(c)
                        ));
                    }
                }
                c => self.xml.push(c),
            }
        }
    }
}

/// A legacy document decoded to text, with what it is for error messages.
pub struct Document {
    what: String,
    text: String,
}

/// The shape of a record element: an element whose text-only children are its fields.
pub struct Shape {
    /// The element's local name, e.g. `SX`.
    pub name: &'static str,
    /// The field that identifies a record in error messages, e.g. `SXBM`; none for
    /// the document's root record (`CXSXQDResponse`), which needs no introduction.
    pub key: Option<&'static str>,
    /// The fields to collect; other children are skipped.
    pub fields: &'static [&'static str],
}

/// A record element being read: where it is and the fields read so far.
struct Open<'d> {
    shape: &'static Shape,
    /// 1-based among the records of its shape within the enclosing record.
    ordinal: usize,
    depth: usize,
    fields: Vec<(&'static str, Cow<'d, str>)>,
}

/// A completed record, with the records around it for error messages.
pub struct Record<'r, 'd> {
    what: &'r str,
    this: &'r Open<'d>,
    outer: &'r [Open<'d>],
}

impl Document {
    /// Checks `op`'s answer for an HTTP success status and decodes it.
    pub fn answer(op: &str, answer: &Answer<'_>) -> Result<Self, AdapterError> {
        if !(200..300).contains(&answer.status) {
            return Err(AdapterError::Unavailable(format!(
                "the 登记注册 system answered HTTP {} to {op} instead of a SOAP answer; it is down or overloaded, try again later",
                answer.status
            )));
        }
        Self::decode(
            format!("the answer to {op}"),
            answer.body,
            answer.content_type,
        )
    }

    /// Decodes a notification the legacy system pushed.
    pub fn notification(body: &[u8], content_type: &str) -> Result<Self, AdapterError> {
        Self::decode("the BJZTTZ notification".to_owned(), body, content_type)
    }

    /// Decodes `body` strictly in the charset that its Content-Type and XML declaration agree on.
    fn decode(what: String, body: &[u8], content_type: &str) -> Result<Self, AdapterError> {
        let header = gbk::content_type_charset(content_type);
        let declared = gbk::xml_declared_encoding(body);
        let charset = match (header, declared) {
            (Some(header), Some(declared)) if !same_charset(header, declared) => {
                return Err(AdapterError::Unavailable(format!(
                    "{what} contradicts itself: its Content-Type says charset={header}, its XML declaration says encoding=\"{declared}\""
                )));
            }
            // The protocol specifies GBK, so a document that declares nothing is read as GBK;
            // decoding is strict, so a wrong guess fails loudly instead of garbling text.
            (header, declared) => declared.or(header).unwrap_or("GBK"),
        };
        match gbk::decode_declared(body, charset) {
            Ok(text) => Ok(Self { what, text }),
            // A body cut off inside a character is the likeliest way for one to be incomplete.
            Err(e @ gbk::EncodingError::Truncated { .. }) => Err(AdapterError::Unavailable(
                format!("{what} is truncated: {e}"),
            )),
            Err(e) => Err(AdapterError::Unavailable(format!(
                "{what} cannot be read in its declared charset {charset}: {e}"
            ))),
        }
    }

    /// Reads the document once, handing each record of `shapes` to `visit` at its end tag,
    /// so a record's inner records (a `CL` in an `SX`) come before it.
    ///
    /// `shapes[0]` is the root record (e.g. `CXSXQDResponse`), which must be present;
    /// shapes are listed outermost first, and a record's ordinal counts from 1 again in
    /// each record of an earlier shape.
    pub fn read<'d>(
        &'d self,
        shapes: &[&'static Shape],
        mut visit: impl FnMut(&Record<'_, 'd>) -> Result<(), AdapterError>,
    ) -> Result<(), AdapterError> {
        let mut reader = Reader::from_str(&self.text);
        reader.config_mut().expand_empty_elements = true;
        let mut open: Vec<Open<'d>> = Vec::new();
        // Field lists of closed records, reused so that a long list allocates a handful of them.
        let mut spare: Vec<Vec<(&'static str, Cow<'d, str>)>> = Vec::new();
        let mut counts = vec![0_usize; shapes.len()];
        let mut leaf: Option<(&'static str, Cow<'d, str>)> = None;
        let mut depth = 0_usize;
        let mut root_seen = false;
        loop {
            let event = reader.read_event().map_err(|e| {
                self.malformed(format_args!(
                    "{e} near byte {} of the decoded text",
                    reader.error_position()
                ))
            })?;
            match event {
                Event::Start(start) => {
                    depth += 1;
                    let local = start.local_name();
                    let name = local.as_ref();
                    if let Some((field, _)) = &leaf {
                        return Err(self.malformed(format_args!(
                            "<{field}> holds the element <{}> where text belongs",
                            String::from_utf8_lossy(name)
                        )));
                    }
                    if let Some(index) = shapes.iter().position(|s| s.name.as_bytes() == name) {
                        counts[index] += 1;
                        counts[index + 1..].fill(0);
                        let mut fields = spare.pop().unwrap_or_default();
                        fields.clear();
                        open.push(Open {
                            shape: shapes[index],
                            ordinal: counts[index],
                            depth,
                            fields,
                        });
                    } else if let Some(record) = open.last().filter(|r| r.depth + 1 == depth) {
                        leaf = record
                            .shape
                            .fields
                            .iter()
                            .find(|f| f.as_bytes() == name)
                            .map(|&f| (f, Cow::Borrowed("")));
                    }
                }
                Event::Text(text) => {
                    if let Some((_, value)) = &mut leaf {
                        // The documents are XML 1.0, whose line-end rules differ from 1.1's.
                        let text = text.xml10_content().map_err(|e| self.malformed(e))?;
                        append(value, text);
                    }
                }
                Event::CData(data) => {
                    if let Some((_, value)) = &mut leaf {
                        append(value, data.decode().map_err(|e| self.malformed(e))?);
                    }
                }
                Event::GeneralRef(reference) => {
                    if let Some((_, value)) = &mut leaf {
                        match reference
                            .resolve_char_ref()
                            .map_err(|e| self.malformed(e))?
                        {
                            Some(c) => value.to_mut().push(c),
                            None => {
                                let name = reference.decode().map_err(|e| self.malformed(e))?;
                                let resolved =
                                    resolve_predefined_entity(&name).ok_or_else(|| {
                                        self.malformed(format_args!(
                                            "it refers to the undefined entity &{name};"
                                        ))
                                    })?;
                                append(value, Cow::Borrowed(resolved));
                            }
                        }
                    }
                }
                Event::End(_) => {
                    if let Some(field) = leaf.take() {
                        if let Some(record) = open.last_mut() {
                            record.fields.push(field);
                        }
                    } else if let Some((this, outer)) =
                        open.split_last().filter(|(r, _)| r.depth == depth)
                    {
                        visit(&Record {
                            what: &self.what,
                            this,
                            outer,
                        })?;
                        root_seen |= this.shape.name == shapes[0].name;
                        if let Some(closed) = open.pop() {
                            spare.push(closed.fields);
                        }
                    }
                    depth = depth.saturating_sub(1);
                }
                Event::Eof => break,
                Event::Empty(_)
                | Event::Decl(_)
                | Event::PI(_)
                | Event::Comment(_)
                | Event::DocType(_) => {}
            }
        }
        if depth > 0 {
            let inside = match open.split_last() {
                Some((this, outer)) => {
                    let record = Record {
                        what: &self.what,
                        this,
                        outer,
                    };
                    format!(" inside {}", record.subject())
                }
                None => String::new(),
            };
            return Err(self.malformed(format_args!(
                "the document ends with {depth} element(s) unclosed{inside}"
            )));
        }
        if !root_seen {
            return Err(AdapterError::Unavailable(format!(
                "{} holds no <{}> element, so it is not the expected answer",
                self.what, shapes[0].name
            )));
        }
        Ok(())
    }

    fn malformed(&self, problem: impl Display) -> AdapterError {
        AdapterError::Unavailable(format!(
            "{} is truncated or malformed XML: {problem}",
            self.what
        ))
    }
}

impl<'r, 'd> Record<'r, 'd> {
    /// The record element's name, e.g. `SX`.
    pub fn name(&self) -> &'static str {
        self.this.shape.name
    }

    /// The trimmed text of field `name`; none when the field is absent or blank.
    pub fn get(&self, name: &str) -> Option<&'r str> {
        self.raw(name).map(str::trim).filter(|t| !t.is_empty())
    }

    /// Like [`Record::get`], but an absent or blank field is an error naming it and its `meaning`.
    pub fn require(&self, name: &str, meaning: &str) -> Result<&'r str, AdapterError> {
        self.get(name).ok_or_else(|| {
            let how = if self.raw(name).is_some() {
                "an empty"
            } else {
                "no"
            };
            self.error(format_args!("has {how} <{name}> ({meaning})"))
        })
    }

    /// The error for field `name` holding `value` where `expected` belongs.
    pub fn unexpected(
        &self,
        name: &str,
        meaning: &str,
        value: &str,
        expected: &str,
    ) -> AdapterError {
        self.error(format_args!(
            "has <{name}>{value}</{name}> ({meaning}); expected {expected}"
        ))
    }

    /// An `unavailable` error: "the answer to OP: CL #2 (CLBM=…) of SX #3 (SXBM=…) {problem}".
    pub fn error(&self, problem: impl Display) -> AdapterError {
        let subject = self.subject();
        let message = if subject.is_empty() {
            format!("{} {problem}", self.what)
        } else {
            format!("{}: {subject} {problem}", self.what)
        };
        AdapterError::Unavailable(message)
    }

    fn raw(&self, name: &str) -> Option<&'r str> {
        let fields: &'r [(&'static str, Cow<'d, str>)] = &self.this.fields;
        fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }

    /// This record and those around it, innermost first; the root record is left out.
    fn subject(&self) -> String {
        let mut subject = String::new();
        for record in std::iter::once(self.this).chain(self.outer.iter().rev()) {
            let Some(key) = record.shape.key else {
                continue;
            };
            if !subject.is_empty() {
                subject.push_str(" of ");
            }
            let _ = write!(subject, "{} #{}", record.shape.name, record.ordinal);
            if let Some((_, value)) = record.fields.iter().find(|(n, _)| *n == key) {
                let _ = write!(subject, " ({key}={})", value.trim());
            }
        }
        subject
    }
}

fn append<'d>(value: &mut Cow<'d, str>, more: Cow<'d, str>) {
    if value.is_empty() {
        *value = more;
    } else {
        value.to_mut().push_str(&more);
    }
}

/// Whether two charset labels name the same encoding (`GBK` and `gb2312` do).
fn same_charset(a: &str, b: &str) -> bool {
    match (
        encoding_rs::Encoding::for_label(a.as_bytes()),
        encoding_rs::Encoding::for_label(b.as_bytes()),
    ) {
        (Some(a), Some(b)) => a == b,
        // An unknown label is reported by the decoder; here it only has to match itself.
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}
