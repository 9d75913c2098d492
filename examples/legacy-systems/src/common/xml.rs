//! A small XML element tree: parsed from requests with quick-xml, written for answers.
//!
//! Names are kept as local names (prefixes dropped) because the legacy systems
//! and their clients disagree about prefixes but never about local names.

use std::fmt::Write as _;

use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::{BytesStart, Event};

/// An XML element with local names, its text content and its child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name (without prefix).
    pub name: String,
    /// Attributes by local name, in document order.
    pub attrs: Vec<(String, String)>,
    /// Concatenated character data directly inside this element.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// An empty element.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// An element holding only text.
    pub fn leaf(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
            ..Self::default()
        }
    }

    /// Adds an attribute (builder style).
    pub fn attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attrs.push((name.into(), value.into()));
        self
    }

    /// Adds a child element (builder style).
    pub fn child(mut self, child: Element) -> Self {
        self.children.push(child);
        self
    }

    /// Adds a text-only child element (builder style).
    pub fn field(self, name: impl Into<String>, text: impl Into<String>) -> Self {
        self.child(Element::leaf(name, text))
    }

    /// Appends a child element.
    pub fn push(&mut self, child: Element) {
        self.children.push(child);
    }

    /// The first child with this local name.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this local name.
    pub fn find_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child with this name; `None` when absent or blank.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.find(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// The value of an attribute by local name.
    pub fn get_attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Removes the first descendant (in document order) whose name is one of `names`.
    pub fn remove_first(&mut self, names: &[&str]) -> bool {
        for i in 0..self.children.len() {
            if names.contains(&self.children[i].name.as_str()) {
                self.children.remove(i);
                return true;
            }
            if self.children[i].remove_first(names) {
                return true;
            }
        }
        false
    }

    /// Serialises the element, indented by `depth` levels of two spaces.
    pub fn write_to(&self, out: &mut String, depth: usize) {
        let indent = "  ".repeat(depth);
        let _ = write!(out, "{indent}<{}", self.name);
        for (key, value) in &self.attrs {
            let _ = write!(out, " {key}=\"{}\"", escape(value.as_str()));
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>\n");
            return;
        }
        out.push('>');
        out.push_str(&escape(self.text.as_str()));
        if !self.children.is_empty() {
            out.push('\n');
            for child in &self.children {
                child.write_to(out, depth + 1);
            }
            out.push_str(&indent);
        }
        let _ = writeln!(out, "</{}>", self.name);
    }
}

/// Why a document could not be read as XML.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// quick-xml rejected the document.
    #[error("XML格式错误（第{position}字节附近）：{message}")]
    Syntax {
        /// Byte offset in the decoded text.
        position: u64,
        /// quick-xml's description.
        message: String,
    },
    /// The document ended before its root element was closed.
    #[error("XML文档不完整：元素<{0}>没有结束")]
    Unclosed(String),
    /// No root element at all.
    #[error("XML文档中没有元素")]
    Empty,
    /// An entity other than the five predefined ones or a character reference.
    #[error("XML中有未定义的实体引用：&{0};")]
    UnknownEntity(String),
}

/// Parses a whole document (already decoded to text) into its root element.
pub fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let syntax =
        |reader: &quick_xml::Reader<&[u8]>, err: &dyn std::fmt::Display| XmlError::Syntax {
            position: reader.error_position(),
            message: err.to_string(),
        };
    loop {
        let event = reader.read_event().map_err(|e| syntax(&reader, &e))?;
        match event {
            Event::Start(start) => stack.push(open(&start).map_err(|e| syntax(&reader, &e))?),
            Event::Empty(start) => {
                let element = open(&start).map_err(|e| syntax(&reader, &e))?;
                match stack.last_mut() {
                    Some(parent) => parent.push(element),
                    None => return Ok(element),
                }
            }
            Event::End(_) => {
                let mut element = stack.pop().ok_or(XmlError::Empty)?;
                // Indentation between child elements is layout, not content.
                if !element.children.is_empty() && element.text.trim().is_empty() {
                    element.text.clear();
                }
                match stack.last_mut() {
                    Some(parent) => parent.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(t) => {
                if let Some(current) = stack.last_mut() {
                    current
                        .text
                        .push_str(&t.xml_content().map_err(|e| syntax(&reader, &e))?);
                }
            }
            Event::CData(t) => {
                if let Some(current) = stack.last_mut() {
                    current
                        .text
                        .push_str(&t.decode().map_err(|e| syntax(&reader, &e))?);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| syntax(&reader, &e))? {
                    Some(ch) => ch.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| syntax(&reader, &e))?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| XmlError::UnknownEntity(name.to_string()))?
                            .to_owned()
                    }
                };
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&resolved);
                }
            }
            Event::Eof => {
                return Err(match stack.pop() {
                    Some(open) => XmlError::Unclosed(open.name),
                    None => XmlError::Empty,
                });
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
}

fn open(start: &BytesStart<'_>) -> Result<Element, quick_xml::Error> {
    let mut element = Element::new(String::from_utf8_lossy(start.local_name().as_ref()));
    for attr in start.attributes() {
        let attr = attr?;
        let key = attr.key;
        // Namespace declarations are not data.
        if key.as_ref() == b"xmlns" || key.prefix().is_some_and(|p| p.as_ref() == b"xmlns") {
            continue;
        }
        let value = attr.unescape_value()?;
        element.attrs.push((
            String::from_utf8_lossy(key.local_name().as_ref()).into_owned(),
            value.into_owned(),
        ));
    }
    Ok(element)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prefixes_entities_and_attributes() {
        let root = parse(
            r#"<?xml version="1.0"?><s:A xmlns:s="urn:x"><B k="a&amp;b">x &lt; y&#x4E2D;</B><C/></s:A>"#,
        )
        .unwrap();
        assert_eq!(root.name, "A");
        let b = root.find("B").unwrap();
        assert_eq!(b.text, "x < y中");
        assert_eq!(b.get_attr("k"), Some("a&b"));
        assert!(root.find("C").is_some());
    }

    #[test]
    fn reports_unclosed_and_mismatched_elements() {
        assert!(matches!(parse("<A><B>"), Err(XmlError::Unclosed(n)) if n == "B"));
        assert!(matches!(parse("<A></B>"), Err(XmlError::Syntax { .. })));
        assert!(matches!(parse("  "), Err(XmlError::Empty)));
    }

    #[test]
    fn removes_first_in_document_order() {
        let mut root = Element::new("R")
            .child(Element::new("L").field("X", "1").field("Y", "2"))
            .field("Y", "3");
        assert!(root.remove_first(&["Y", "Z"]));
        assert!(root.find("L").unwrap().find("Y").is_none());
        assert_eq!(root.text_of("Y"), Some("3"));
    }

    #[test]
    fn writes_escaped_and_round_trips() {
        let root = Element::new("R")
            .attr("a", "\"<>\"")
            .field("T", "甲&乙")
            .child(Element::new("E"));
        let mut out = String::new();
        root.write_to(&mut out, 0);
        assert!(out.contains("<E/>"));
        assert_eq!(parse(&out).unwrap(), root);
    }
}
