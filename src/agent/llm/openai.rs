//! The OpenAI Chat Completions wire format with tool calling, as every OpenAI-compatible
//! server speaks it (OpenAI, Ollama, vLLM, llama.cpp server, LM Studio, OpenRouter).
//!
//! Parsing is lenient where compatible servers differ: a missing `usage`, `arguments` given as
//! an object instead of a JSON string, a missing tool call `id`.

use serde_json::{Value, json};

use super::{Message, Reply, Tool, ToolCall};
use crate::config::ApiKey;

pub fn endpoint(base_url: &str) -> String {
    format!("{base_url}/chat/completions")
}

pub fn headers(key: Option<&ApiKey>) -> Vec<(&'static str, String)> {
    key.map(|key| ("authorization", format!("Bearer {}", key.expose())))
        .into_iter()
        .collect()
}

pub fn request_body(model: &str, system: &str, messages: &[Message], tools: &[Tool]) -> Value {
    let mut wire = vec![json!({"role": "system", "content": system})];
    for message in messages {
        match message {
            Message::User(text) => wire.push(json!({"role": "user", "content": text})),
            Message::Assistant { text, calls } => {
                let mut entry = json!({"role": "assistant", "content": text});
                if !calls.is_empty() {
                    entry["tool_calls"] = calls
                        .iter()
                        .map(|call| {
                            json!({
                                "id": call.id,
                                "type": "function",
                                "function": {"name": call.name, "arguments": call.arguments},
                            })
                        })
                        .collect();
                }
                wire.push(entry);
            }
            Message::Results(results) => {
                for result in results {
                    wire.push(json!({
                        "role": "tool",
                        "tool_call_id": result.call_id,
                        "content": result.content,
                    }));
                }
            }
        }
    }
    let tools: Vec<Value> = tools
        .iter()
        .map(|tool| {
            json!({
                "type": "function",
                "function": {
                    "name": tool.name,
                    "description": tool.description,
                    "parameters": tool.schema,
                },
            })
        })
        .collect();
    json!({
        "model": model,
        "messages": wire,
        "tools": tools,
        "tool_choice": "auto",
    })
}

pub fn parse_reply(value: &Value) -> Result<Reply, String> {
    let message = value
        .pointer("/choices/0/message")
        .ok_or("the answer has no `choices[0].message`")?;
    let text = message
        .get("content")
        .and_then(Value::as_str)
        .filter(|text| !text.trim().is_empty())
        .map(str::to_string);
    let mut calls = Vec::new();
    for (index, call) in message
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let function = call.get("function").unwrap_or(&Value::Null);
        let arguments = match function.get("arguments") {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        calls.push(ToolCall {
            id: call
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("call_{index}")),
            name: function
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            arguments,
        });
    }
    let usage = value.get("usage");
    let count = |field: &str| {
        usage
            .and_then(|usage| usage.get(field))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Ok(Reply {
        text,
        calls,
        input_tokens: count("prompt_tokens"),
        output_tokens: count("completion_tokens"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_and_usage_are_read() {
        let answer = json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [{
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": null,
                    "tool_calls": [{
                        "id": "call_a",
                        "type": "function",
                        "function": {"name": "run", "arguments": "{\"command\":\"true\",\"purpose\":\"p\"}"}
                    }]
                },
                "finish_reason": "tool_calls"
            }],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        });
        let reply = parse_reply(&answer).unwrap();
        assert_eq!(reply.text, None);
        assert_eq!(reply.calls.len(), 1);
        assert_eq!(reply.calls[0].id, "call_a");
        assert_eq!(reply.calls[0].name, "run");
        assert_eq!((reply.input_tokens, reply.output_tokens), (100, 20));
    }

    #[test]
    fn object_arguments_from_compatible_servers_are_accepted() {
        let answer = json!({"choices": [{"message": {"content": "", "tool_calls": [
            {"function": {"name": "done", "arguments": {"summary": "ok"}}}
        ]}}]});
        let reply = parse_reply(&answer).unwrap();
        assert_eq!(reply.calls[0].arguments, r#"{"summary":"ok"}"#);
        assert_eq!(reply.calls[0].id, "call_0");
        assert_eq!(reply.input_tokens, 0);
    }

    #[test]
    fn an_answer_without_choices_is_an_error() {
        assert!(parse_reply(&json!({"object": "list"})).is_err());
    }
}
