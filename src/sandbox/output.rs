//! Bounded capture of a command's output: the head and the tail, with a count of what was left
//! out between them. A build log of megabytes must not reach an agent's context (or a report)
//! whole; its first lines (what started) and last lines (the error) are what matter.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// One stream's output as kept in an [`super::Observation`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CapturedOutput {
    /// The first lines, up to half the cap.
    pub head: String,
    /// The last lines, up to half the cap (empty when everything fit in `head`).
    pub tail: String,
    /// Bytes between head and tail that were not kept.
    pub omitted_bytes: u64,
    /// Bytes the stream produced in all.
    pub total_bytes: u64,
    /// Lines the stream produced in all.
    pub lines: u64,
}

impl CapturedOutput {
    /// Head and tail joined, with a marker where output was left out.
    pub fn text(&self) -> String {
        if self.omitted_bytes == 0 {
            return format!("{}{}", self.head, self.tail);
        }
        format!(
            "{}[... {} bytes omitted ...]\n{}",
            self.head, self.omitted_bytes, self.tail
        )
    }

    /// The last non-empty line, for one-line summaries.
    pub fn last_line(&self) -> Option<&str> {
        let text = if self.tail.is_empty() {
            &self.head
        } else {
            &self.tail
        };
        text.lines().rev().find(|line| !line.trim().is_empty())
    }
}

/// Accumulates lines into a [`CapturedOutput`] within a byte cap.
#[derive(Debug)]
pub(crate) struct OutputCollector {
    head_cap: usize,
    tail_cap: usize,
    head: String,
    tail: VecDeque<String>,
    tail_bytes: usize,
    omitted_bytes: u64,
    total_bytes: u64,
    lines: u64,
}

impl OutputCollector {
    pub(crate) fn new(cap: usize) -> OutputCollector {
        let head_cap = cap / 2;
        OutputCollector {
            head_cap,
            tail_cap: cap - head_cap,
            head: String::new(),
            tail: VecDeque::new(),
            tail_bytes: 0,
            omitted_bytes: 0,
            total_bytes: 0,
            lines: 0,
        }
    }

    pub(crate) fn push_line(&mut self, line: &str) {
        let size = line.len() + 1;
        self.total_bytes += size as u64;
        self.lines += 1;
        if self.tail.is_empty() && self.head.len() + size <= self.head_cap {
            self.head.push_str(line);
            self.head.push('\n');
            return;
        }
        let kept = if size > self.tail_cap {
            // A single huge line: keep its end, where errors usually are.
            let mut start = line.len().saturating_sub(self.tail_cap.saturating_sub(1));
            while !line.is_char_boundary(start) {
                start += 1;
            }
            self.omitted_bytes += start as u64;
            &line[start..]
        } else {
            line
        };
        self.tail_bytes += kept.len() + 1;
        self.tail.push_back(kept.to_string());
        while self.tail_bytes > self.tail_cap {
            match self.tail.pop_front() {
                Some(dropped) => {
                    self.tail_bytes -= dropped.len() + 1;
                    self.omitted_bytes += dropped.len() as u64 + 1;
                }
                None => break,
            }
        }
    }

    pub(crate) fn finish(self) -> CapturedOutput {
        let mut tail = String::with_capacity(self.tail_bytes);
        for line in &self.tail {
            tail.push_str(line);
            tail.push('\n');
        }
        CapturedOutput {
            head: self.head,
            tail,
            omitted_bytes: self.omitted_bytes,
            total_bytes: self.total_bytes,
            lines: self.lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_output_is_kept_whole() {
        let mut collector = OutputCollector::new(1024);
        collector.push_line("one");
        collector.push_line("two");
        let output = collector.finish();
        assert_eq!(output.text(), "one\ntwo\n");
        assert_eq!(output.omitted_bytes, 0);
        assert_eq!(output.lines, 2);
        assert_eq!(output.last_line(), Some("two"));
    }

    #[test]
    fn large_output_keeps_head_and_tail() {
        let mut collector = OutputCollector::new(100);
        for index in 0..1000 {
            collector.push_line(&format!("line {index}"));
        }
        let output = collector.finish();
        assert!(output.head.starts_with("line 0\n"));
        assert!(output.tail.ends_with("line 999\n"));
        assert!(output.head.len() <= 50 && output.tail.len() <= 50);
        assert_eq!(
            output.total_bytes,
            output.head.len() as u64 + output.tail.len() as u64 + output.omitted_bytes
        );
        assert!(output.text().contains("bytes omitted"));
    }

    #[test]
    fn a_huge_line_keeps_its_end() {
        let mut collector = OutputCollector::new(20);
        collector.push_line(&format!("{}END", "x".repeat(1000)));
        let output = collector.finish();
        assert!(output.tail.ends_with("END\n"));
        assert!(output.tail.len() <= 10);
    }
}
