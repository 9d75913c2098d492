//! `translate`: the market-supervision adapter's `cases.on-notify` translation
//! (pushed GBK XML status records → unified case events) as an Extism export.
//!
//! Input: the notification's content type, a newline, then its body. Output: the
//! events as JSON in the platform's API shape (the `wire` crate, which the HTTP
//! microservice of the benchmark answers with too).

use extism_pdk::{FnResult, WithReturnCode, plugin_fn};

#[plugin_fn]
pub fn translate(input: Vec<u8>) -> FnResult<Vec<u8>> {
    let split = input.iter().position(|&b| b == b'\n').unwrap_or(0);
    let content_type = std::str::from_utf8(&input[..split])?;
    let body = input.get(split + 1..).unwrap_or_default();
    match market_supervision::legacy::parse_notification(body, content_type) {
        Ok(events) => Ok(wire::to_json(&events)),
        Err(e) => Err(WithReturnCode::new(
            extism_pdk::Error::msg(format!("{e:?}")),
            1,
        )),
    }
}
