//! The Anthropic Messages API wire format with tool use.
//!
//! The API wants strictly alternating roles and tool results inside a `user` message, so tool
//! results and a following text of ours are merged into one user turn.

use serde_json::{Value, json};

use super::{Message, Reply, Tool, ToolCall};
use crate::config::{ANTHROPIC_VERSION, ApiKey};

/// The most the model may write in one reply (the API requires a limit).
const MAX_REPLY_TOKENS: u64 = 4096;

pub fn endpoint(base_url: &str) -> String {
    format!("{base_url}/v1/messages")
}

pub fn headers(key: Option<&ApiKey>) -> Vec<(&'static str, String)> {
    let mut headers = vec![("anthropic-version", ANTHROPIC_VERSION.to_string())];
    if let Some(key) = key {
        headers.push(("x-api-key", key.expose().to_string()));
    }
    headers
}

pub fn request_body(model: &str, system: &str, messages: &[Message], tools: &[Tool]) -> Value {
    let mut wire: Vec<Value> = Vec::new();
    for message in messages {
        let (role, blocks) = match message {
            Message::User(text) => ("user", vec![json!({"type": "text", "text": text})]),
            Message::Assistant { text, calls } => {
                let mut blocks = Vec::new();
                if let Some(text) = text {
                    blocks.push(json!({"type": "text", "text": text}));
                }
                for call in calls {
                    // The model's input was an object when it arrived; replay it as one.
                    let input = serde_json::from_str::<Value>(&call.arguments)
                        .ok()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}));
                    blocks.push(json!({
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": input,
                    }));
                }
                ("assistant", blocks)
            }
            Message::Results(results) => (
                "user",
                results
                    .iter()
                    .map(|result| {
                        json!({
                            "type": "tool_result",
                            "tool_use_id": result.call_id,
                            "content": result.content,
                            "is_error": result.is_error,
                        })
                    })
                    .collect(),
            ),
        };
        match wire.last_mut() {
            Some(previous) if previous["role"] == role => {
                if let Some(content) = previous["content"].as_array_mut() {
                    content.extend(blocks);
                }
            }
            _ => wire.push(json!({"role": role, "content": blocks})),
        }
    }
    let tools: Vec<Value> = tools
        .iter()
        .map(|tool| {
            json!({
                "name": tool.name,
                "description": tool.description,
                "input_schema": tool.schema,
            })
        })
        .collect();
    json!({
        "model": model,
        "max_tokens": MAX_REPLY_TOKENS,
        "system": system,
        "messages": wire,
        "tools": tools,
    })
}

pub fn parse_reply(value: &Value) -> Result<Reply, String> {
    let content = value
        .get("content")
        .and_then(Value::as_array)
        .ok_or("the answer has no `content` array")?;
    let mut texts = Vec::new();
    let mut calls = Vec::new();
    for (index, block) in content.iter().enumerate() {
        match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                if let Some(text) = block.get("text").and_then(Value::as_str)
                    && !text.trim().is_empty()
                {
                    texts.push(text.to_string());
                }
            }
            Some("tool_use") => calls.push(ToolCall {
                id: block
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("toolu_{index}")),
                name: block
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                arguments: block.get("input").map(Value::to_string).unwrap_or_default(),
            }),
            _ => {}
        }
    }
    let count = |field: &str| {
        value
            .pointer(&format!("/usage/{field}"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Ok(Reply {
        text: (!texts.is_empty()).then(|| texts.join("\n")),
        calls,
        input_tokens: count("input_tokens"),
        output_tokens: count("output_tokens"),
    })
}

#[cfg(test)]
mod tests {
    use super::super::ToolResult;
    use super::*;

    #[test]
    fn tool_use_blocks_and_usage_are_read() {
        let answer = json!({
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Installing."},
                {"type": "tool_use", "id": "toolu_a", "name": "run", "input": {"command": "true", "purpose": "p"}}
            ],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 50, "output_tokens": 10}
        });
        let reply = parse_reply(&answer).unwrap();
        assert_eq!(reply.text.as_deref(), Some("Installing."));
        assert_eq!(reply.calls[0].id, "toolu_a");
        assert_eq!(
            serde_json::from_str::<Value>(&reply.calls[0].arguments).unwrap()["command"],
            "true"
        );
        assert_eq!((reply.input_tokens, reply.output_tokens), (50, 10));
    }

    #[test]
    fn tool_results_and_our_next_text_share_one_user_turn() {
        let messages = vec![
            Message::User("context".into()),
            Message::Assistant {
                text: None,
                calls: vec![ToolCall {
                    id: "toolu_a".into(),
                    name: "run".into(),
                    arguments: r#"{"command":"false","purpose":"p"}"#.into(),
                }],
            },
            Message::Results(vec![ToolResult {
                call_id: "toolu_a".into(),
                content: "exit status 1".into(),
                summary: String::new(),
                is_error: true,
            }]),
            Message::User("the offline agent could not repair this".into()),
        ];
        let body = request_body("m", "sys", &messages, &[]);
        let wire = body["messages"].as_array().unwrap();
        assert_eq!(wire.len(), 3);
        assert_eq!(wire[2]["role"], "user");
        assert_eq!(wire[2]["content"][0]["type"], "tool_result");
        assert_eq!(wire[2]["content"][1]["type"], "text");
        assert_eq!(wire[1]["content"][0]["input"]["command"], "false");
        assert_eq!(body["system"], "sys");
    }
}
