//! HTML install pages turned into Markdown, so one parser serves both kinds of doc.
//!
//! A product's install page is mostly site chrome: navigation bars, sidebars, tables of
//! contents, search forms, cookie banners, footers, and scripts. Left in, that text would reach
//! the parser (and an agent) as if it were part of the instructions, so it is dropped here
//! before the conversion: the `<head>`, scripts, styles, forms and their controls, `nav`
//! elements, elements whose role or class says they are navigation, site headers without a
//! heading, footers, and asides that are menus. What remains (headings, prose, lists, code blocks with their
//! `language-*` class) is converted by `htmd`.

use htmd::element_handler::{HandlerResult, Handlers};
use htmd::{Element, HtmlToMarkdown};

/// Elements that never carry install instructions.
const DROPPED_TAGS: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "form", "button", "input", "select",
    "textarea", "iframe", "svg", "canvas", "dialog", "object", "embed", "footer", "head", "title",
    "link", "meta",
];

/// Containers whose attributes are checked for navigation roles and classes.
const CHECKED_CONTAINERS: &[&str] = &[
    "div", "section", "ul", "ol", "li", "span", "p", "table", "details", "figure", "dl", "a",
    "menu",
];

/// ARIA roles of page chrome.
const CHROME_ROLES: &[&str] = &[
    "navigation",
    "search",
    "menu",
    "menubar",
    "banner",
    "contentinfo",
];

/// Words in a `class` or `id` that mark page chrome (matched inside tokens, lowercased).
const CHROME_CLASS_WORDS: &[&str] = &[
    "sidebar",
    "navbar",
    "breadcrumb",
    "tableofcontents",
    "table-of-contents",
    "skip-link",
    "cookie",
];

/// Converts an HTML page to Markdown, dropping scripts, styles, navigation and forms.
pub fn to_markdown(html: &str) -> std::io::Result<String> {
    let converter = HtmlToMarkdown::builder()
        .skip_tags(DROPPED_TAGS.to_vec())
        .add_handler(CHECKED_CONTAINERS.to_vec(), drop_chrome_or_fall_back)
        .add_handler(vec!["header"], keep_header_with_heading)
        .add_handler(vec!["aside"], keep_aside_unless_menu)
        .build();
    converter.convert(html)
}

/// Drops an element that is marked as navigation (or hidden); converts it normally otherwise.
fn drop_chrome_or_fall_back(handlers: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    if is_chrome(&element) {
        return None;
    }
    handlers.fallback(element)
}

/// A page header is kept only when it holds the page's heading (an article header); a site
/// banner (logo, menu, search) is dropped.
fn keep_header_with_heading(handlers: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    if is_chrome(&element) {
        return None;
    }
    let converted = handlers.walk_children(element.node);
    let has_heading = converted
        .content
        .lines()
        .any(|line| line.trim_start().starts_with('#'));
    has_heading.then_some(converted)
}

/// An aside is kept when it is a note or a warning, dropped when it is a menu: only list items
/// and links.
fn keep_aside_unless_menu(handlers: &dyn Handlers, element: Element) -> Option<HandlerResult> {
    if is_chrome(&element) {
        return None;
    }
    let converted = handlers.walk_children(element.node);
    (!is_menu(&converted.content)).then_some(converted)
}

/// Whether converted Markdown is nothing but a list of links (a menu or a table of contents).
fn is_menu(markdown: &str) -> bool {
    let mut lines = markdown
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty());
    let mut any = false;
    let all_list_or_links = lines.all(|line| {
        any = true;
        let item = line
            .trim_start_matches(['*', '-', '+'])
            .trim_start_matches(|character: char| character.is_ascii_digit())
            .trim_start_matches('.')
            .trim_start();
        item.starts_with('[') || item.is_empty()
    });
    any && all_list_or_links
}

/// Whether an element's attributes mark it as navigation, a banner, or hidden content.
fn is_chrome(element: &Element) -> bool {
    element.attrs.iter().any(|attribute| {
        let name: &str = &attribute.name.local;
        let value = attribute.value.to_ascii_lowercase();
        match name {
            "hidden" => true,
            "aria-hidden" => value == "true",
            "role" => CHROME_ROLES.contains(&value.trim()),
            "class" | "id" => value.split_ascii_whitespace().any(is_chrome_token),
            _ => false,
        }
    })
}

fn is_chrome_token(token: &str) -> bool {
    token == "toc"
        || token.starts_with("toc-")
        || token.ends_with("-toc")
        || CHROME_CLASS_WORDS.iter().any(|word| token.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(html: &str) -> String {
        to_markdown(html).expect("conversion succeeds")
    }

    #[test]
    fn keeps_headings_prose_and_code_with_language() {
        let markdown = convert(
            "<html><body><main><h1>Install jq</h1><p>Run this:</p>\
             <pre><code class=\"language-sh\">sudo apt-get install jq\n</code></pre></main></body></html>",
        );
        assert!(markdown.contains("# Install jq"), "{markdown}");
        assert!(
            markdown.contains("```sh\nsudo apt-get install jq"),
            "{markdown}"
        );
    }

    #[test]
    fn drops_scripts_styles_navigation_and_forms() {
        let markdown = convert(
            "<html><head><title>t</title><style>.x{color:red}</style>\
             <script>alert('tracking')</script></head><body>\
             <nav><a href=\"/\">Home</a><a href=\"/blog\">Blog</a></nav>\
             <form><input name=q><button>Search the site</button></form>\
             <div role=\"navigation\"><a href=\"/a\">Sidebar link</a></div>\
             <div class=\"md-sidebar\">Sidebar text</div>\
             <h1>Install</h1><pre><code>apt-get install tool</code></pre>\
             <footer>Copyright notice</footer></body></html>",
        );
        for dropped in [
            "alert",
            "color:red",
            "Home",
            "Blog",
            "Search the site",
            "Sidebar link",
            "Sidebar text",
            "Copyright",
        ] {
            assert!(
                !markdown.contains(dropped),
                "`{dropped}` survived:\n{markdown}"
            );
        }
        assert!(markdown.contains("apt-get install tool"), "{markdown}");
        // The page's <head> (title, meta) is not content: the text starts at the heading.
        assert!(markdown.starts_with("# Install"), "{markdown}");
    }

    #[test]
    fn keeps_article_headers_and_drops_site_banners() {
        let markdown = convert(
            "<body><header><a href=\"/\">Logo</a><nav><a href=\"/x\">Docs</a></nav></header>\
             <article><header><h1>Installing tool</h1></header><p>Prose.</p></article></body>",
        );
        assert!(!markdown.contains("Logo"), "{markdown}");
        assert!(markdown.contains("# Installing tool"), "{markdown}");
    }

    #[test]
    fn keeps_note_asides_and_drops_menu_asides() {
        let markdown = convert(
            "<body><aside><ul><li><a href=\"/a\">Intro</a></li><li><a href=\"/b\">Setup</a></li></ul></aside>\
             <h1>Install</h1><aside><p>Note: needs root.</p></aside></body>",
        );
        assert!(!markdown.contains("Intro"), "{markdown}");
        assert!(markdown.contains("Note: needs root."), "{markdown}");
    }

    #[test]
    fn hidden_elements_are_dropped() {
        let markdown = convert(
            "<body><p>Visible</p><div hidden>Secret</div><span aria-hidden=\"true\">Icon</span></body>",
        );
        assert!(markdown.contains("Visible"));
        assert!(!markdown.contains("Secret"), "{markdown}");
        assert!(!markdown.contains("Icon"), "{markdown}");
    }
}
